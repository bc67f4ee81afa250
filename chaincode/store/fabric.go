package store

import (
	"fmt"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"dataledger/chaincode/domain"
)

// Stub adapts a Fabric chaincode stub.
type Stub struct {
	S  shim.ChaincodeStubInterface
	ID cid.ClientIdentity
}

// NewStub wraps a stub and its client identity.
func NewStub(s shim.ChaincodeStubInterface, id cid.ClientIdentity) *Stub { return &Stub{S: s, ID: id} }

func (f *Stub) Get(key string) ([]byte, error)         { return f.S.GetState(key) }
func (f *Stub) Put(key string, value []byte) error     { return f.S.PutState(key, value) }
func (f *Stub) TxID() string                           { return f.S.GetTxID() }
func (f *Stub) Channel() string                        { return f.S.GetChannelID() }
func (f *Stub) Emit(name string, payload []byte) error { return f.S.SetEvent(name, payload) }
func (f *Stub) GetPrivate(key string) ([]byte, error) {
	return f.S.GetPrivateData(domain.Collection, key)
}
func (f *Stub) PutPrivate(key string, value []byte) error {
	return f.S.PutPrivateData(domain.Collection, key, value)
}
func (f *Stub) PrivateRange(t string, attrs ...string) ([]KV, error) {
	it, err := f.S.GetPrivateDataByPartialCompositeKey(domain.Collection, t, attrs)
	if err != nil {
		return nil, err
	}
	return drain(it)
}

// drain reads a range's iterator to its end, and closes it.
func drain(it shim.StateQueryIteratorInterface) ([]KV, error) {
	defer it.Close()
	var out []KV
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, KV{Key: kv.Key, Value: kv.Value})
	}
	return out, nil
}
func (f *Stub) Transient(name string) []byte {
	m, err := f.S.GetTransient()
	if err != nil {
		return nil
	}
	return m[name]
}
func (f *Stub) Key(t string, attrs ...string) (string, error) {
	return f.S.CreateCompositeKey(t, attrs)
}

func (f *Stub) Now() (time.Time, error) {
	ts, err := f.S.GetTxTimestamp()
	if err != nil {
		return time.Time{}, err
	}
	return ts.AsTime().UTC(), nil
}

func (f *Stub) Caller() (domain.Actor, error) {
	msp, err := f.ID.GetMSPID()
	if err != nil {
		return domain.Actor{}, err
	}
	role, _, err := f.ID.GetAttributeValue(domain.RoleAttribute)
	if err != nil {
		return domain.Actor{}, err
	}
	cert, err := f.ID.GetX509Certificate()
	if err != nil {
		return domain.Actor{}, err
	}
	a := domain.Actor{MSP: msp, Role: role, ID: cert.Subject.CommonName}
	if role == domain.RoleEnterprise {
		if a.CreditCode, _, err = f.ID.GetAttributeValue(domain.CreditCodeAttribute); err != nil {
			return domain.Actor{}, err
		}
	}
	return a, nil
}

func (f *Stub) Page(t string, attrs []string, size int32, bookmark string) ([]KV, string, error) {
	it, meta, err := f.S.GetStateByPartialCompositeKeyWithPagination(t, attrs, size, bookmark)
	if err != nil {
		return nil, "", err
	}
	out, err := drain(it)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if meta != nil && int32(len(out)) == size {
		next = meta.Bookmark
	}
	return out, next, nil
}

func (f *Stub) History(key string) ([]HistoryEntry, error) {
	it, err := f.S.GetHistoryForKey(key)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []HistoryEntry
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, err
		}
		if m.Timestamp == nil {
			return nil, fmt.Errorf("history entry %s has no timestamp", m.TxId)
		}
		out = append(out, HistoryEntry{TxID: m.TxId, Time: m.Timestamp.AsTime().UTC(), IsDelete: m.IsDelete, Value: m.Value})
	}
	return out, nil
}
