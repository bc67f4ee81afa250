package proof

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Checkpoint is where an audit stopped: the next block to check, the
// header hash it must name as previous, and the configuration in force
// (its block), so the next audit resumes without re-reading the chain.
type Checkpoint struct {
	Channel      string `json:"channel"`
	Next         uint64 `json:"next"`
	PreviousHash []byte `json:"previousHash"`
	ConfigBlock  []byte `json:"configBlock"`
	// Genesis is the hex hash of the genesis block the audit started from
	// (absent in checkpoints written before it was kept).
	Genesis string `json:"genesis,omitempty"`
	Audited string `json:"audited"` // when it was written
}

// Checkpointer keeps where a channel's chain audit stopped, in the manner
// of fabric-gateway's client.Checkpointer: BlockNumber is where the next
// audit starts and CheckpointBlock records where one stopped. The audit
// stops only between blocks, so there is no transaction position to keep
// (fabric-gateway's TransactionID and CheckpointTransaction).
//
// NewFileCheckpointer keeps it in a file across restarts;
// NewMemoryCheckpointer keeps it for the life of the process.
type Checkpointer interface {
	// BlockNumber is the next block to audit: 0 (genesis) when no block
	// has passed an audit yet.
	BlockNumber() uint64
	// Checkpoint is the recorded checkpoint to resume from, nil when no
	// block has passed an audit yet.
	Checkpoint() *Checkpoint
	// CheckpointBlock records where an audit stopped (its report's
	// Checkpoint): every block before cp.Next passed.
	CheckpointBlock(cp *Checkpoint) error
}

// Resume audits channel from where cps says the last audit stopped and
// records where this one stops. open gives the channel's blocks from a
// block number (a source that starts earlier is fine: the audit skips
// blocks before its checkpoint). When the audit ran but its checkpoint
// could not be recorded, Resume answers the report with the error.
func Resume(channel string, cps Checkpointer, open func(from uint64) (Blocks, error), trust *TrustFile) (*AuditReport, error) {
	blocks, err := open(cps.BlockNumber())
	if err != nil {
		return nil, err
	}
	r, err := Audit(channel, blocks, cps.Checkpoint(), trust)
	if err != nil {
		return nil, err
	}
	return r, cps.CheckpointBlock(r.Checkpoint)
}

// FromGenesis is cps read as empty: an audit through it starts at genesis
// and records where it stops in cps.
func FromGenesis(cps Checkpointer) Checkpointer { return fromGenesis{cps} }

type fromGenesis struct{ Checkpointer }

func (fromGenesis) BlockNumber() uint64     { return 0 }
func (fromGenesis) Checkpoint() *Checkpoint { return nil }

// resumable is cp when it names a block to resume from; a checkpoint of
// an audit in which no block passed is no checkpoint (audit from genesis).
func resumable(cp *Checkpoint) *Checkpoint {
	if cp == nil || cp.Next == 0 {
		return nil
	}
	c := *cp
	return &c
}

// MemoryCheckpointer keeps a checkpoint for the life of the process. Its
// zero value is ready to use (no checkpoint: genesis).
type MemoryCheckpointer struct {
	mu sync.Mutex
	cp *Checkpoint
}

// NewMemoryCheckpointer is a checkpointer with no checkpoint yet.
func NewMemoryCheckpointer() *MemoryCheckpointer { return &MemoryCheckpointer{} }

func (m *MemoryCheckpointer) BlockNumber() uint64 {
	if cp := m.Checkpoint(); cp != nil {
		return cp.Next
	}
	return 0
}

func (m *MemoryCheckpointer) Checkpoint() *Checkpoint {
	m.mu.Lock()
	defer m.mu.Unlock()
	return resumable(m.cp)
}

func (m *MemoryCheckpointer) CheckpointBlock(cp *Checkpoint) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cp = resumable(cp)
	return nil
}

// FileCheckpointer keeps a checkpoint in a file, written atomically
// (temporary file, synced, then renamed over it), so that an audit
// resumes after a restart.
type FileCheckpointer struct {
	path string
	mem  MemoryCheckpointer
}

// NewFileCheckpointer reads the checkpoint in path; a missing file is no
// checkpoint yet. A torn or corrupt file is refused: the audit would
// otherwise resume from a position it cannot vouch for.
func NewFileCheckpointer(path string) (*FileCheckpointer, error) {
	cp, err := LoadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	f := &FileCheckpointer{path: path}
	f.mem.cp = resumable(cp)
	return f, nil
}

// NewFileCheckpointerFromGenesis is a file checkpointer that starts from
// genesis without reading the file (which may be torn): the audit's first
// checkpoint replaces it.
func NewFileCheckpointerFromGenesis(path string) *FileCheckpointer {
	return &FileCheckpointer{path: path}
}

// Path is the checkpoint file.
func (f *FileCheckpointer) Path() string { return f.path }

func (f *FileCheckpointer) BlockNumber() uint64     { return f.mem.BlockNumber() }
func (f *FileCheckpointer) Checkpoint() *Checkpoint { return f.mem.Checkpoint() }

// CheckpointBlock writes cp to the file, then keeps it; on a failed write
// the previous checkpoint stays, in the file and here.
func (f *FileCheckpointer) CheckpointBlock(cp *Checkpoint) error {
	if cp == nil {
		cp = &Checkpoint{}
	}
	f.mem.mu.Lock()
	defer f.mem.mu.Unlock()
	if err := cp.Save(f.path); err != nil {
		return err
	}
	f.mem.cp = resumable(cp)
	return nil
}

// LoadCheckpoint reads a checkpoint file; a missing file is no checkpoint.
// A file that is not a whole, consistent checkpoint is refused.
func LoadCheckpoint(path string) (*Checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cp, err := ParseCheckpoint(b)
	if err != nil {
		return nil, corrupt(path, err)
	}
	return cp, nil
}

// ParseCheckpoint reads a checkpoint as a checkpointer stored it (JSON),
// refusing one that is not whole and consistent.
func ParseCheckpoint(b []byte) (*Checkpoint, error) {
	var cp Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return nil, err
	}
	if err := cp.check(); err != nil {
		return nil, err
	}
	return &cp, nil
}

func corrupt(path string, err error) error {
	return fmt.Errorf("checkpoint %s is torn or corrupt, refusing to resume from it (remove it to audit from genesis): %w", path, err)
}

// check: a checkpoint past genesis names its channel, the 32-byte hash of
// the last header that passed, and a configuration block of that channel.
func (cp *Checkpoint) check() error {
	if cp.Next == 0 {
		return nil
	}
	if cp.Channel == "" {
		return fmt.Errorf("no channel")
	}
	if len(cp.PreviousHash) != sha256.Size {
		return fmt.Errorf("previous hash is %d bytes, not %d", len(cp.PreviousHash), sha256.Size)
	}
	blk, err := ParseBlock(cp.ConfigBlock)
	if err != nil {
		return fmt.Errorf("configuration block: %w", err)
	}
	cfg, err := ParseConfigBlock(blk)
	if err != nil {
		return fmt.Errorf("configuration block: %w", err)
	}
	if cfg.Channel != cp.Channel {
		return fmt.Errorf("configuration block of channel %q in a checkpoint of %q", cfg.Channel, cp.Channel)
	}
	return nil
}

// Save writes a checkpoint atomically: a temporary file of its own in
// the same directory (two writers never share one), synced, renamed over
// path, and the directory synced so the rename survives a crash.
func (cp *Checkpoint) Save(path string) error {
	b, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	if err = f.Chmod(0o600); err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
