package contract

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"dataledger/chaincode/domain"
	"dataledger/chaincode/store"
)

// lastAttr is the last attribute of a composite key.
func lastAttr(compositeKey string) string {
	_, attrs, err := domain.SplitCompositeKey(compositeKey)
	if err != nil || len(attrs) == 0 {
		return ""
	}
	return attrs[len(attrs)-1]
}

// RuleBookmark: a bookmark continues the list it came from. On the peer a
// bookmark is where the range starts, with no bound below, so one that
// lies outside the list's prefix would read other records.
const RuleBookmark = "DL-BOOKMARK"

// page is Store.Page with the page size bounded and the bookmark held to
// the list's own keys.
func page(s store.Store, recordType string, attrs []string, pageSize int32, bookmark string) ([]store.KV, string, error) {
	if pageSize < 1 || pageSize > domain.MaxPageSize {
		return nil, "", domain.Invalid(RulePageSize, "pageSize", "must be 1..%d, got %d", domain.MaxPageSize, pageSize)
	}
	prefix, err := s.Key(recordType, attrs...)
	if err != nil {
		return nil, "", err
	}
	if bookmark != "" && (!strings.HasPrefix(bookmark, prefix) || !utf8.ValidString(bookmark)) {
		return nil, "", domain.Invalid(RuleBookmark, "bookmark", "is not a bookmark of this list; pass back the bookmark the previous page returned")
	}
	return s.Page(recordType, attrs, pageSize, bookmark)
}

func listRecords[T any](s store.Store, recordType string, attrs []string, pageSize int32, bookmark string) (*domain.Page[T], error) {
	kvs, next, err := page(s, recordType, attrs, pageSize, bookmark)
	if err != nil {
		return nil, err
	}
	out := &domain.Page[T]{Items: []T{}, Bookmark: next}
	for _, kv := range kvs {
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, err
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}
