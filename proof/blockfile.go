package proof

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// FileBlocks reads a peer's or orderer's block files (a copy of
// <ledgersData>/chains/chains/<channel>/blockfile_NNNNNN) with no node
// running: each record is a varint length and Fabric's block
// serialization (header number, data hash, previous hash; the envelopes;
// the metadata), each field length-prefixed.
type FileBlocks struct {
	files []string
	data  []byte
	file  int
}

// OpenBlockFiles lists a channel directory's block files in order.
func OpenBlockFiles(dir string) (*FileBlocks, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	f := &FileBlocks{file: -1}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "blockfile_") {
			f.files = append(f.files, filepath.Join(dir, e.Name()))
		}
	}
	if len(f.files) == 0 {
		return nil, fmt.Errorf("no blockfile_* in %s", dir)
	}
	sort.Strings(f.files)
	return f, nil
}

// Next is the next block, re-encoded as a protobuf common.Block.
func (f *FileBlocks) Next() ([]byte, error) {
	for len(f.data) == 0 {
		f.file++
		if f.file >= len(f.files) {
			return nil, io.EOF
		}
		var err error
		if f.data, err = os.ReadFile(f.files[f.file]); err != nil {
			return nil, err
		}
	}
	size, n := protowire.ConsumeVarint(f.data)
	if n < 0 || uint64(len(f.data)-n) < size {
		f.data = nil
		return nil, fmt.Errorf("%s: truncated block record", filepath.Base(f.files[f.file]))
	}
	rec := f.data[n : n+int(size)]
	f.data = f.data[n+int(size):]
	blk, err := decodeStored(rec)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(f.files[f.file]), err)
	}
	return proto.Marshal(blk)
}

func decodeStored(b []byte) (*common.Block, error) {
	r := &reader{b: b}
	blk := &common.Block{Header: &common.BlockHeader{}, Data: &common.BlockData{}, Metadata: &common.BlockMetadata{}}
	blk.Header.Number = r.varint()
	blk.Header.DataHash = r.bytes()
	if blk.Header.PreviousHash = r.bytes(); len(blk.Header.PreviousHash) == 0 {
		blk.Header.PreviousHash = nil
	}
	for i, n := uint64(0), r.varint(); i < n && r.err == nil; i++ {
		blk.Data.Data = append(blk.Data.Data, r.bytes())
	}
	for i, n := uint64(0), r.varint(); i < n && r.err == nil; i++ {
		blk.Metadata.Metadata = append(blk.Metadata.Metadata, r.bytes())
	}
	if r.err != nil {
		return nil, fmt.Errorf("block record does not decode: %w", r.err)
	}
	return blk, nil
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) varint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := protowire.ConsumeVarint(r.b)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes() []byte {
	if r.err != nil {
		return nil
	}
	v, n := protowire.ConsumeBytes(r.b)
	if n < 0 {
		r.err = protowire.ParseError(n)
		return nil
	}
	r.b = r.b[n:]
	return append([]byte(nil), v...)
}

// QueryBlocks reads blocks from a peer through qscc, from a number up to
// the height the peer had when it was made.
type QueryBlocks struct {
	Src     Source
	Channel string
	next    uint64
	height  uint64
}

// NewQueryBlocks starts at from and ends at the peer's current height.
func NewQueryBlocks(src Source, channel string, from uint64) (*QueryBlocks, error) {
	raw, err := src.Query(channel, "qscc", "GetChainInfo", channel)
	if err != nil {
		return nil, err
	}
	var info common.BlockchainInfo
	if err := proto.Unmarshal(raw, &info); err != nil {
		return nil, err
	}
	return &QueryBlocks{Src: src, Channel: channel, next: from, height: info.Height}, nil
}

func (q *QueryBlocks) Next() ([]byte, error) {
	if q.next >= q.height {
		return nil, io.EOF
	}
	raw, err := blockByNumber(q.Src, q.Channel, q.next)
	if err != nil {
		return nil, err
	}
	q.next++
	return raw, nil
}
