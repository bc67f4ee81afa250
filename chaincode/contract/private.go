package contract

import (
	"encoding/json"
	"fmt"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// privateChaincode runs a transaction whose arguments are private
// (domain.PrivateArgs) with the arguments of its transient map: the
// proposal, which every block keeps, carries none of them. A proposal
// that carries them anyway is refused, so a client that forgot cannot
// put them in a block.
type privateChaincode struct{ *contractapi.ContractChaincode }

func (c privateChaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := function(stub)
	if !domain.PrivateArgs(fn) {
		return c.ContractChaincode.Invoke(stub)
	}
	if len(args) > 0 {
		return shim.Error(wire(domain.Invalid(domain.RulePrivateArgs, "arguments",
			"%s takes its arguments from the transient map (%q), never from the proposal: every block keeps a proposal's arguments", fn, domain.TransientArgs)).Error())
	}
	transient, err := stub.GetTransient()
	if err != nil {
		return shim.Error(wire(err).Error())
	}
	var private []string
	if err := json.Unmarshal(transient[domain.TransientArgs], &private); err != nil {
		return shim.Error(wire(domain.Invalid(domain.RulePrivateArgs, "transient."+domain.TransientArgs,
			"%s needs its arguments in the transient map as a JSON array of strings: %v", fn, err)).Error())
	}
	raw, _ := stub.GetFunctionAndParameters()
	return c.ContractChaincode.Invoke(argsStub{stub, raw, private})
}

// argsStub is a stub whose function arguments are the transient map's.
type argsStub struct {
	shim.ChaincodeStubInterface
	fn   string
	args []string
}

func (s argsStub) GetFunctionAndParameters() (string, []string) { return s.fn, s.args }
func (s argsStub) GetStringArgs() []string                      { return append([]string{s.fn}, s.args...) }
func (s argsStub) GetArgs() [][]byte {
	out := [][]byte{[]byte(s.fn)}
	for _, a := range s.args {
		out = append(out, []byte(a))
	}
	return out
}

// mayReadPrivate tells whether the caller reads private parts on this
// channel (domain.MayReadPrivate).
func (a *App) mayReadPrivate(s store.Store) (bool, error) {
	actor, err := s.Caller()
	if err != nil {
		return false, err
	}
	return domain.MayReadPrivate(a.Channels[s.Channel()], actor), nil
}

// loadSealed reads a record's private part: the whole record and its
// salt; nil when the collection holds none at key.
func loadSealed[T any](s store.Store, key string) (*T, string, error) {
	b, err := s.GetPrivate(key)
	if err != nil || b == nil {
		return nil, "", err
	}
	var sealed domain.Sealed
	v := new(T)
	if err := json.Unmarshal(b, &sealed); err != nil {
		return nil, "", fmt.Errorf("corrupt private record at %q: %w", key, err)
	}
	if err := json.Unmarshal(sealed.Record, v); err != nil {
		return nil, "", fmt.Errorf("corrupt private record at %q: %w", key, err)
	}
	return v, sealed.Salt, nil
}

// putSealed writes a record's public view to the world state and the
// whole record, sealed with salt, to the collection. salt is the
// record's own ("" for a new record: the transaction's, from the
// transient map).
func putSealed(s store.Store, key string, public, whole any, salt string) error {
	if salt == "" {
		salt = string(s.Transient(domain.TransientSalt))
		if err := domain.ValidSalt(salt); err != nil {
			return err
		}
	}
	rec, err := json.Marshal(whole)
	if err != nil {
		return err
	}
	b, err := json.Marshal(domain.Sealed{Salt: salt, Record: rec})
	if err != nil {
		return err
	}
	if err := s.PutPrivate(key, b); err != nil {
		return err
	}
	return put(s, key, public)
}

// whole reads the whole of a record whose public view is pub: its
// private part, which a peer of a collection member must hold once the
// public view exists.
func whole[T any](s store.Store, key string, pub *T) (*T, string, error) {
	if pub == nil {
		return nil, "", nil
	}
	v, salt, err := loadSealed[T](s, key)
	if err == nil && v == nil {
		err = fmt.Errorf("the private part of %q is not on this peer", key)
	}
	return v, salt, err
}

// GetPrivatePart answers a numbered record's private part as the
// collection holds it (domain.Sealed: the record whole and its salt), for
// a collection member's regime role: what a key holder's proof bundle
// carries, and proves against the hashes its block keeps. Anyone else is
// refused by name.
func (a *App) GetPrivatePart(s store.Store, recordType, number string) (string, error) {
	if !domain.HasPrivatePart(recordType) {
		return "", domain.Invalid(RuleRecordType, "recordType", "%q keeps no private part", truncate(recordType))
	}
	ok, err := a.mayReadPrivate(s)
	if err != nil {
		return "", err
	}
	if !ok {
		actor, _ := s.Caller()
		return "", domain.Forbidden(domain.RulePrivateRead, "recordType", "only a regime role of the channel's private data collection members (%v) reads a private part; %s/%s is not one", a.Channels[s.Channel()].Private, actor.MSP, actor.Role)
	}
	for _, r := range domain.NumberedRecords {
		if r.RecordType != recordType {
			continue
		}
		if _, err := domain.ParseNumber("number", number, r.Prefix); err != nil {
			return "", err
		}
		b, err := s.GetPrivate(key(s, recordType, number))
		if err == nil && b == nil {
			err = domain.NotFound(domain.RulePrivateRead, "number", "no private part of %s %s on channel %s", recordType, number, s.Channel())
		}
		return string(b), err
	}
	return "", domain.Invalid(RuleRecordType, "recordType", "%q is not a numbered record", truncate(recordType))
}
