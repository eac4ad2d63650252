package entity

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/msisync/msisync/platform/extid"
	"github.com/msisync/msisync/platform/pagetoken"
	"github.com/msisync/msisync/platform/records"
)

// cursor is where the next page of a List query starts, signed into its page token.
type cursor struct {
	// After is the ordering key (an id, a sequence number) of the last record read.
	After int64 `json:"a"`
	// Total is the query's total, when the service counts one (0 otherwise).
	Total int32 `json:"t,omitempty"`
}

// Page is one page of a List call: how many records it holds, where it resumes, and how to
// sign the token of the next one. A store reads Size+1 records after After: one more than
// the page shows whether there is a next page.
type Page struct {
	// Size is the page size, 1 to records.MaxBatch.
	Size int
	// After is the ordering key the page resumes after; 0 on the first page.
	After int64
	// Total is the query's total that the page token carried; 0 on the first page. A
	// service that counts sets it before Trim to carry it on.
	Total  int32
	query  string
	tokens *pagetoken.Codec
}

// NewPage checks a List call's number of filter values and its page size (0 is the
// largest).
func NewPage(values int, pageSize int32) (*Page, error) {
	if values == 0 || values > records.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "filterValues has %d values; send 1 to %d", values, records.MaxBatch)
	}
	size := int(pageSize)
	if size < 0 || size > records.MaxBatch {
		return nil, status.Errorf(codes.InvalidArgument, "page size %d is out of range; use 1 to %d", size, records.MaxBatch)
	}
	if size == 0 {
		size = records.MaxBatch
	}
	return &Page{Size: size}, nil
}

// Resume binds the page to its query — the filter field and the filter values as matched
// (normalised), which identify it — and, when token is not empty, resumes where the page
// that issued it ended.
func (p *Page) Resume(tokens *pagetoken.Codec, field string, normalised []string, token string) error {
	sorted := slices.Clone(normalised)
	slices.Sort(sorted)
	p.tokens, p.query = tokens, pagetoken.Query(field, strings.Join(slices.Compact(sorted), "\x00"))
	if token == "" {
		return nil
	}
	var c cursor
	if err := tokens.Decode(token, p.query, &c); err != nil {
		return status.Error(codes.InvalidArgument, "the page token is not valid for this query; start again without it")
	}
	p.After, p.Total = c.After, c.Total
	return nil
}

// Trim cuts found, read with a limit of p.Size+1, to one page, and returns the token of the
// next page (it carries p.Total), or "" on the last one. after returns a record's ordering
// key. The page must have been bound to its query with Resume.
func Trim[R any](p *Page, found []R, after func(R) int64) ([]R, string, error) {
	if len(found) <= p.Size {
		return found, "", nil
	}
	found = found[:p.Size]
	tok, err := p.tokens.Encode(p.query, cursor{After: after(found[len(found)-1]), Total: p.Total})
	if err != nil {
		return nil, "", err
	}
	return found, tok, nil
}

// ParseIDs reads filter values that are integer ids; what names them in the error ("id",
// "lead id"). It returns the ids and their normalised form.
func ParseIDs(values []string, what string) ([]int32, []string, error) {
	ids := make([]int32, 0, len(values))
	normalised := make([]string, 0, len(values))
	for _, v := range values {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return nil, nil, status.Errorf(codes.InvalidArgument, "filter value %q is not an integer %s", v, what)
		}
		ids = append(ids, int32(n))
		normalised = append(normalised, strconv.FormatInt(n, 10))
	}
	return ids, normalised, nil
}

// ExternalKeys returns the match keys (extid.Key) of raw external ids, leaving out the
// invalid ones: they match nothing.
func ExternalKeys(raw []string) []string {
	var out []string
	for _, v := range raw {
		if k := extid.Key(v); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// Folded returns the case-folded, trimmed forms of values (names, emails); with dropEmpty
// the empty ones are left out. Values no record can hold (records.CheckChars refuses them:
// PostgreSQL cannot even compare a NUL) are left out too: they match nothing.
func Folded(values []string, dropEmpty bool) []string {
	var out []string
	for _, v := range values {
		k := extid.Fold(strings.TrimSpace(v))
		if (k != "" || !dropEmpty) && records.CheckChars("", k) == nil {
			out = append(out, k)
		}
	}
	return out
}
