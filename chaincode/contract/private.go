package contract

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// privateChaincode runs a transaction whose arguments are private
// (domain.PrivateArgs) with the name and arguments of its transient map:
// the proposal, which every block keeps, calls domain.PrivateCall and
// carries no arguments. A proposal that names such a transaction, or
// carries arguments, is refused, so a client that forgot cannot put them
// in a block.
type privateChaincode struct{ *contractapi.ContractChaincode }

func (c privateChaincode) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := function(stub)
	if fn != domain.PrivateCall {
		if domain.PrivateArgs(fn) {
			return shim.Error(wire(domain.Invalid(domain.RulePrivateArgs, "function",
				"%s is called as %s, its name and arguments in the transient map (%q, %q): every block keeps a proposal's function name and arguments", fn, domain.PrivateCall, domain.TransientFunction, domain.TransientArgs)).Error())
		}
		return c.ContractChaincode.Invoke(stub)
	}
	transient, err := stub.GetTransient()
	if err != nil {
		return shim.Error(wire(err).Error())
	}
	if fn = string(transient[domain.TransientFunction]); !domain.PrivateArgs(fn) {
		return shim.Error(wire(domain.Invalid(domain.RulePrivateArgs, "transient."+domain.TransientFunction,
			"%q is not a transaction with private arguments: %s calls only those", truncate(fn), domain.PrivateCall)).Error())
	}
	if len(args) > 0 {
		return shim.Error(wire(domain.Invalid(domain.RulePrivateArgs, "arguments",
			"%s takes its arguments from the transient map (%q), never from the proposal: every block keeps a proposal's arguments", fn, domain.TransientArgs)).Error())
	}
	var private []string
	if err := json.Unmarshal(transient[domain.TransientArgs], &private); err != nil {
		return shim.Error(wire(domain.Invalid(domain.RulePrivateArgs, "transient."+domain.TransientArgs,
			"%s needs its arguments in the transient map as a JSON array of strings: %v", fn, err)).Error())
	}
	return c.ContractChaincode.Invoke(argsStub{stub, fn, private})
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

// mayReadPrivate tells whether the caller reads the private parts of
// records of recordType on this channel (domain.MayReadPrivate).
func (a *App) mayReadPrivate(s store.Store, recordType string) (bool, error) {
	actor, err := s.Caller()
	if err != nil {
		return false, err
	}
	return domain.MayReadPrivate(a.Channels[s.Channel()], actor, recordType), nil
}

// readSealed reads a record's private part as the collection holds it:
// the whole record and its salt; nil when the collection holds none at
// key.
func readSealed(s store.Store, key string) (*domain.Sealed, error) {
	b, err := s.GetPrivate(key)
	if err != nil || b == nil {
		return nil, err
	}
	var sealed domain.Sealed
	if err := json.Unmarshal(b, &sealed); err != nil {
		return nil, fmt.Errorf("corrupt private record at %q: %w", key, err)
	}
	return &sealed, nil
}

// loadWhole reads a record that keeps a private part, whole: its private
// part, which holds the record whole (nil when there is none). It never
// reads the world state's key: a read set keeps its keys in clear, and an
// application's key is its number, private before its notice. A member
// peer that holds a record's hash but not yet its private data refuses
// the read itself (Fabric compares the versions). Only a collection
// member's identity may read it (the peer refuses anyone else:
// memberOnlyRead), and is refused here first, by name.
func loadWhole[T any](a *App, s store.Store, key string) (*T, error) {
	actor, err := s.Caller()
	if err != nil {
		return nil, err
	}
	if cfg := a.Channels[s.Channel()]; !cfg.PrivateMember(actor.MSP) {
		return nil, domain.Forbidden(domain.RulePrivateRead, "caller",
			"%s keeps a private part that only the channel's private data collection members (%v) read and change: %s is not one (act through an identity of a member organization)",
			printable(key), cfg.Private, actor.MSP)
	}
	sealed, err := readSealed(s, key)
	if err != nil || sealed == nil {
		return nil, err
	}
	v := new(T)
	if err := json.Unmarshal(sealed.Record, v); err != nil {
		return nil, fmt.Errorf("corrupt private record at %q: %w", key, err)
	}
	return v, nil
}

// loadFor reads a record that keeps a private part as the caller may
// read it: whole (loadWhole) for whom domain.MayReadPrivate lets read it,
// its public view from the world state for anyone else.
func loadFor[T any](a *App, s store.Store, recordType, key string) (*T, error) {
	private, err := a.mayReadPrivate(s, recordType)
	switch {
	case err != nil:
		return nil, err
	case private:
		return loadWhole[T](a, s, key)
	case domain.PublicNever(recordType): // nothing public to read
		return nil, nil
	}
	return load[T](s, key)
}

// loadWholeNumbered reads a numbered record that keeps a private part
// whole by its number (loadWhole): what a transaction that changes it
// reads.
func loadWholeNumbered[T any](a *App, s store.Store, recordType, number string) (*T, error) {
	k, err := numberedKey(s, recordType, number)
	if err != nil {
		return nil, err
	}
	return loadWhole[T](a, s, k)
}

// numberedKey is the state key of a numbered record, its number checked.
func numberedKey(s store.Store, recordType, number string) (string, error) {
	r, _ := domain.NumberedByRecordType(recordType)
	if _, err := domain.ParseNumber("number", number, r.Prefix); err != nil {
		return "", err
	}
	return key(s, recordType, number), nil
}

// loadNumbered reads a numbered record that keeps a private part by its
// number, as the caller may read it (loadFor).
func loadNumbered[T any](a *App, s store.Store, recordType, number string) (*T, error) {
	k, err := numberedKey(s, recordType, number)
	if err != nil {
		return nil, err
	}
	return loadFor[T](a, s, recordType, k)
}

// putSealed writes a record's public view to the world state (none while
// public is nil) and the whole record to the collection, sealed with a
// salt of its own from the transaction's (from the transient map), or
// else the salt it was sealed with before.
func putSealed[T any](s store.Store, key string, public, whole *T) error {
	salt, err := saltFor(s, key)
	if err != nil {
		return err
	}
	if salt == "" {
		if old, err := readSealed(s, key); err != nil {
			return domain.Invalid(domain.RulePrivateArgs, "transient."+domain.TransientSalt, "a new private record needs the client's salt (32 random bytes, hex), and no earlier one can be read (%v)", err)
		} else if old != nil {
			salt = old.Salt
		}
	}
	if err := putSalted(s, key, salt, whole); err != nil {
		return err
	}
	if public == nil {
		return nil
	}
	return put(s, key, public)
}

// saltFor is the salt of the private record at key in this transaction
// (domain.SaltFor: one per record), "" when the client sent none.
func saltFor(s store.Store, key string) (string, error) {
	tx := string(s.Transient(domain.TransientSalt))
	if tx == "" {
		return "", nil
	}
	if err := domain.ValidSalt(tx); err != nil {
		return "", err
	}
	return domain.SaltFor(tx, key), nil
}

// putSalted writes v to the collection at key, sealed with salt.
func putSalted(s store.Store, key, salt string, v any) error {
	if err := domain.ValidSalt(salt); err != nil {
		return domain.Invalid(domain.RulePrivateArgs, "transient."+domain.TransientSalt, "a new private record needs the client's salt (32 random bytes, hex)")
	}
	rec, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b, err := json.Marshal(domain.Sealed{Salt: salt, Record: rec})
	if err != nil {
		return err
	}
	return s.PutPrivate(key, b)
}

// publicRecord is a record whose fields are public but whose changes'
// words are private (the reason rule, domain.Words).
type publicRecord interface {
	Said(domain.Words)
	Spoken() []string // the transactions whose words it may hold
}

// putSaid writes a public record changed, with words, by this
// transaction: public, its view without them, to the world state at
// stateKey; the words, sealed with the transaction's salt, to the
// collection, keyed by the record and the transaction (none when the
// change has none).
func putSaid(s store.Store, stateKey, recordType, id string, public any, reason string) error {
	if err := put(s, stateKey, public); err != nil {
		return err
	}
	return putWords(s, recordType, id, reason)
}

// putWords writes the words of this transaction's change to a record (its
// type and key), sealed, to the collection (nothing when it has none).
func putWords(s store.Store, recordType, id, reason string) error {
	if reason == "" {
		return nil
	}
	k := key(s, domain.TypeWords, recordType, id, s.TxID())
	salt, err := saltFor(s, k)
	if err != nil {
		return err
	}
	return putSalted(s, k, salt, domain.Words{TxID: s.TxID(), Reason: reason})
}

// saidTo puts back into a public record, for a caller who may read them
// (domain.MayReadWords), the words of its changes (domain's Spoken). A
// query's read: a transaction never needs the words of a change before
// its own.
func (a *App) saidTo(s store.Store, recordType, id string, rec publicRecord) error {
	body, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	for _, txID := range rec.Spoken() {
		w, err := a.words(s, recordType, id, txID, body)
		if err != nil {
			return err
		}
		if w != nil {
			rec.Said(*w)
		}
	}
	return nil
}

// words are the words of the change by transaction txID to a public
// record (its type, key and JSON), for a caller who may read them; nil
// for anyone else, or when the change had none.
func (a *App) words(s store.Store, recordType, id, txID string, body []byte) (*domain.Words, error) {
	if txID == "" {
		return nil, nil
	}
	actor, err := s.Caller()
	if err != nil {
		return nil, err
	}
	if !domain.MayReadWords(a.Channels[s.Channel()], actor, recordType, body) {
		return nil, nil
	}
	sealed, err := readSealed(s, key(s, domain.TypeWords, recordType, id, txID))
	if err != nil || sealed == nil {
		// A member peer that holds the words' hash but not yet the words
		// (reconciliation pending, a peer joined later) refuses the read:
		// the record is still public, and is answered without them.
		return nil, nil
	}
	var w domain.Words
	if err := json.Unmarshal(sealed.Record, &w); err != nil {
		return nil, fmt.Errorf("corrupt words of %s %s: %w", recordType, id, err)
	}
	return &w, nil
}

// putNumbered writes a numbered record that keeps a private part
// (putSealed): whole to the collection, its public view (nil: none) to the
// world state. A new one (version 1) is noted for FindPrivateRecord. Its
// event entry is named, when it has a public view; by its key hash
// otherwise.
func putNumbered[T any](s store.Store, recordType, number string, version int, public, whole *T, named domain.Changed) (domain.Changed, error) {
	k := key(s, recordType, number)
	if err := putSealed(s, k, public, whole); err != nil {
		return domain.Changed{}, err
	}
	if version == 1 {
		b, _ := json.Marshal(domain.PrivateRecordRef{RecordType: recordType, Number: number})
		if err := s.PutPrivate(key(s, indexPrivateKey, keyHash(k)), b); err != nil {
			return domain.Changed{}, err
		}
	}
	if public == nil {
		return changedPrivately(k), nil
	}
	return named, nil
}

// keyHash is SHA-256 of a state key, hex: what a block's hashed write set
// names a private key by.
func keyHash(stateKey string) string {
	h := sha256.Sum256([]byte(stateKey))
	return hex.EncodeToString(h[:])
}

// changedPrivately is the event entry of a change to a record that has no
// public view: the hash of its key as the block's hashed write set names
// it, nothing else, not even its kind (FindPrivateRecord finds it for a
// member).
func changedPrivately(stateKey string) domain.Changed {
	return domain.Changed{KeyHash: keyHash(stateKey), Action: domain.ActionPrivate}
}

const indexPrivateKey = "private~key" // key hash → the record's type and number, in the collection

// FindPrivateRecord answers which record an event's key hash names, to a
// regime role of a collection member.
func (a *App) FindPrivateRecord(s store.Store, keyHash string) (*domain.PrivateRecordRef, error) {
	if ok, err := a.mayReadPrivate(s, ""); err != nil || !ok {
		if err == nil {
			err = domain.Forbidden(domain.RulePrivateRead, "keyHash", "only a regime role of the channel's private data collection members (%v) finds a private record", a.Channels[s.Channel()].Private)
		}
		return nil, err
	}
	if b, err := hex.DecodeString(keyHash); err != nil || len(b) != sha256.Size {
		return nil, domain.Invalid(domain.RulePrivateRead, "keyHash", "must be a SHA-256 in hex (64 characters)")
	}
	b, err := s.GetPrivate(key(s, indexPrivateKey, keyHash))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, domain.NotFound(domain.RulePrivateRead, "keyHash", "no private record with key hash %s on channel %s", keyHash, s.Channel())
	}
	var ref domain.PrivateRecordRef
	return &ref, json.Unmarshal(b, &ref)
}

func printable(key string) string { return strings.Trim(strings.ReplaceAll(key, "\x00", "/"), "/") }

// GetPrivatePart answers a numbered record's private part as the
// collection holds it (domain.Sealed: the record whole and its salt), for
// a collection member's regime role: what a key holder's proof bundle
// carries, and proves against the hashes its block keeps. Anyone else is
// refused by name.
func (a *App) GetPrivatePart(s store.Store, recordType, number string) (string, error) {
	if !domain.HasPrivatePart(recordType) {
		return "", domain.Invalid(RuleRecordType, "recordType", "%q keeps no private part", truncate(recordType))
	}
	ok, err := a.mayReadPrivate(s, recordType)
	if err != nil {
		return "", err
	}
	if !ok {
		actor, _ := s.Caller()
		return "", domain.Forbidden(domain.RulePrivateRead, "recordType", "only a regime role of the channel's private data collection members (%v) reads a private part; %s/%s is not one", a.Channels[s.Channel()].Private, actor.MSP, actor.Role)
	}
	if r, ok := domain.NumberedByRecordType(recordType); ok {
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
