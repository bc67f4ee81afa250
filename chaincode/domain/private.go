package domain

import (
	"encoding/hex"
	"encoding/json"
	"slices"
)

// Private data (docs/PRIVACY.md). A block keeps a transaction's
// arguments, its write set, its answer and its event for anyone who holds
// the block; only the transient map is dropped. So a record with fields no
// article publishes is written twice: its public view to the world state,
// and the whole record, sealed with a salt, to the channel's collection,
// of which the block keeps only Fabric's hashes. The private inputs of
// such a transaction travel in the transient map, never as arguments.

// Collection is the name of each channel's private data collection.
const Collection = "private"

// Transient map entries of a transaction with private inputs.
const (
	TransientArgs = "args" // the function's arguments, as a JSON array of strings
	TransientSalt = "salt" // 32 random bytes, hex: what seals the private records it writes
)

// Rule codes of private data.
const (
	RulePrivateRead  = "DL-PRIVATE-READ"  // only a collection member reads a private part
	RulePrivateWrite = "DL-PRIVATE-WRITE" // only a collection member writes one
	RulePrivateArgs  = "DL-PRIVATE-ARGS"  // private inputs travel in the transient map, with a salt
)

// privateArgs are the transactions whose arguments are private: they
// arrive in the transient map, and the proposal carries none.
var privateArgs = map[Action]bool{
	ActFileObjection:   true, // the objection's summary (may name a person or a trade secret)
	ActDecideObjection: true, // the decision's reasons
}

// PrivateArgs tells whether fn takes its arguments from the transient map.
func PrivateArgs(fn string) bool { return privateArgs[Action(fn)] }

// EndorsedByCollection tells whether fn reads or writes the collection:
// its client asks only the collection's members to endorse it (they are a
// majority of every channel's organizations, Description.Validate), so no
// other organization's peer sees its private inputs.
func EndorsedByCollection(fn string) bool {
	return privateArgs[Action(fn)] || Action(fn) == ActConfirmDestruction
}

// HasPrivatePart tells whether records of recordType keep a private part
// in the collection (and their world-state value is their public view).
func HasPrivatePart(recordType string) bool { return recordType == TypeObjection }

// PrivateMember tells whether msp is a member of the channel's collection.
func (c ChannelConfig) PrivateMember(msp string) bool { return slices.Contains(c.Private, msp) }

// MayReadPrivate tells whether a caller reads private parts: an identity
// of a collection member org in a regime role. A member org's clerk is the
// public's identity and reads what the public reads.
func MayReadPrivate(cfg ChannelConfig, a Actor) bool {
	return cfg.PrivateMember(a.MSP) && a.Role != RoleClerk && a.Role != ""
}

// Sealed is a record's private part as the collection stores it: the
// whole record and a salt, so a guessable record (a short decision) cannot
// be found from the hash a block keeps.
type Sealed struct {
	Salt   string          `json:"salt"`
	Record json.RawMessage `json:"record"`
}

// ValidSalt checks a transaction's salt: 32 bytes, hex.
func ValidSalt(s string) error {
	if b, err := hex.DecodeString(s); err != nil || len(b) != 32 {
		return Invalid(RulePrivateArgs, "transient."+TransientSalt, "must be 32 random bytes in hex (64 characters), fresh for each transaction")
	}
	return nil
}

// Public is the objection as the world state and the public hold it: its
// summary (anyone may object, natural persons included: it may carry
// personal information or the target's trade secrets; GX 12(8) publishes
// no objection) and the decision's reasons (the 核实结果 is the operator's
// and the enterprise's, GX 12(8)) are the private part's only.
func (o *Objection) Public() *Objection {
	p := *o
	p.Summary = ""
	if o.Decision != nil {
		d := *o.Decision
		d.Reasons = ""
		p.Decision = &d
	}
	return &p
}
