package marketoapi

import (
	"context"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"

	commonv1 "github.com/msisync/msisync/gen/msisync/common/v1"
	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/platform/records"
	"github.com/msisync/msisync/services/orchestrator/internal/apply"
	"github.com/msisync/msisync/services/orchestrator/internal/objects"
)

// decoded is a request's input records after decoding: the inputs that decoded, their
// positions in the request, and the reasons the others were skipped.
type decoded[T proto.Message] struct {
	inputs  []T
	pos     []int
	refused map[int]*commonv1.Reason
}

// drop removes the record at input position i from the decoded inputs and refuses it.
func (d *decoded[T]) drop(i int, why *commonv1.Reason) {
	for k, p := range d.pos {
		if p == i {
			d.inputs = append(d.inputs[:k], d.inputs[k+1:]...)
			d.pos = append(d.pos[:k], d.pos[k+1:]...)
			break
		}
	}
	d.refused[i] = why
}

// decodeAll decodes each Marketo record into a new input message.
func decodeAll[T proto.Message](obj *objects.Object, recs []*structpb.Struct, newInput func() T) decoded[T] {
	return decodeWith(recs, func(rec *structpb.Struct) (T, *commonv1.Reason) {
		in := newInput()
		return in, obj.Decode(rec, in)
	})
}

// decodeWith decodes each Marketo record with decode, which returns the input or why the
// record is skipped.
func decodeWith[T proto.Message](recs []*structpb.Struct, decode func(*structpb.Struct) (T, *commonv1.Reason)) decoded[T] {
	d := decoded[T]{refused: map[int]*commonv1.Reason{}}
	for i, rec := range recs {
		in, why := decode(rec)
		if why != nil {
			d.refused[i] = why
			continue
		}
		d.inputs = append(d.inputs, in)
		d.pos = append(d.pos, i)
	}
	return d
}

// results turns the outcomes of the decoded records, and the refusals, into Marketo
// results in input order. A missing parent is a skipped record with its reason.
func results(n int, refused map[int]*commonv1.Reason, pos []int, outs []apply.Outcome) []*orchestratorv1.MarketoRecordResult {
	res := make([]*orchestratorv1.MarketoRecordResult, n)
	for i, why := range refused {
		res[i] = skippedResult(i, why)
	}
	for k, o := range outs {
		i := pos[k]
		switch {
		case o.Missing != nil:
			res[i] = skippedResult(i, o.Missing.Reason)
		case o.Result != nil:
			res[i] = recordResult(i, o.Result)
		}
	}
	return res
}

// query holds a Marketo query's parsed parameters.
type query struct {
	values []string
	fields []string
}

// parseQuery checks filterType (returning the lowercase name), filterValues, fields and
// batchSize for obj.
func parseQuery(obj *objects.Object, filterType string, filterValues, fields []string, batchSize int32, known map[string]bool) (string, query, error) {
	ft := strings.ToLower(strings.TrimSpace(filterType))
	if ft == "" {
		return "", query{}, requestError(marketo.CodeCannotBeBlank, "filterType cannot be blank")
	}
	if !known[ft] {
		var names []string
		for _, s := range obj.Searchable {
			if len(s) == 1 {
				names = append(names, s[0])
			}
		}
		return "", query{}, requestError(marketo.CodeInvalidData, "Invalid filterType '%s': use one of %s", filterType, strings.Join(names, ", "))
	}
	q := query{values: splitList(filterValues), fields: splitList(fields)}
	if len(q.values) == 0 {
		return "", query{}, requestError(marketo.CodeCannotBeBlank, "filterValues cannot be blank")
	}
	if len(q.values) > maxRecords {
		return "", query{}, requestError(marketo.CodeInvalidData, "Invalid data: %d filterValues, at most %d", len(q.values), maxRecords)
	}
	if err := checkFilterValues(q.values); err != nil {
		return "", query{}, err
	}
	if err := obj.CheckFields(q.fields); err != nil {
		return "", query{}, err
	}
	if batchSize < 0 || batchSize > maxRecords {
		return "", query{}, requestError(marketo.CodeInvalidData, "Invalid batchSize %d: use 1 to %d", batchSize, maxRecords)
	}
	return ft, q, nil
}

// checkFilterValues refuses filter values no record can hold: not valid UTF-8, or holding a
// control character other than tab, line feed and carriage return.
func checkFilterValues(values []string) error {
	for i, v := range values {
		if records.CheckChars("filterValues", v) != nil {
			return requestError(marketo.CodeInvalidData, "Invalid data: filter value %d is not valid UTF-8 or holds a control character", i+1)
		}
	}
	return nil
}

// encodeAll renders stored records as query results.
func encodeAll[T proto.Message](obj *objects.Object, recs []T, fields []string) []*structpb.Struct {
	out := make([]*structpb.Struct, len(recs))
	for i, r := range recs {
		out[i] = obj.Encode(r, i, fields)
	}
	return out
}

// paging returns moreResult and nextPageToken for a service's next page token.
func paging(token string) (*bool, *string) {
	if token == "" {
		return nil, nil
	}
	more := true
	return &more, &token
}

// keyField reads the key of a delete record: its string field name, or with idField the
// id field (integer or GUID).
func stringKey(rec *structpb.Struct, field string) (string, *commonv1.Reason) {
	v, ok := rec.GetFields()[field]
	if !ok {
		return "", records.Missing(field)
	}
	s, why := stringValue(field, v)
	if why != nil {
		return "", why
	}
	if strings.TrimSpace(s) == "" {
		return "", records.Missing(field)
	}
	if why := records.CheckChars(field, s); why != nil {
		return "", why
	}
	return s, nil
}

func intKey(rec *structpb.Struct, field string) (int32, *commonv1.Reason) {
	v, ok := rec.GetFields()[field]
	if !ok {
		return 0, records.Missing(field)
	}
	if _, null := v.GetKind().(*structpb.Value_NullValue); null {
		return 0, records.Missing(field)
	}
	return int32Value(field, v)
}

// withIDs gives every result an id: Adobe's swagger requires one on company results, so a
// record that does not exist (skipped 718, 1013, 1036) carries id 0.
func withIDs(res []*orchestratorv1.MarketoRecordResult) []*orchestratorv1.MarketoRecordResult {
	for _, r := range res {
		if r.Id == nil {
			r.Id = proto.Int32(0)
		}
	}
	return res
}

// withGUIDs gives every result a marketoGUID: Adobe's swagger requires one on opportunity
// and role results, so a record that does not exist carries an empty marketoGUID.
func withGUIDs(res []*orchestratorv1.MarketoRecordResult) []*orchestratorv1.MarketoRecordResult {
	for _, r := range res {
		if r.MarketoGuid == nil {
			r.MarketoGuid = proto.String("")
		}
	}
	return res
}

// syncRecords is the skeleton of every non-lead Marketo sync: decode each record into a
// new input, write the decodable ones with one apply call, and answer one result per
// record in input order.
func syncRecords[T proto.Message](ctx context.Context, obj *objects.Object, recs []*structpb.Struct, newInput func() T,
	write func(context.Context, []T) ([]apply.Outcome, error)) ([]*orchestratorv1.MarketoRecordResult, error) {
	d := decodeAll(obj, recs, newInput)
	var outs []apply.Outcome
	if len(d.inputs) > 0 {
		var err error
		if outs, err = write(ctx, d.inputs); err != nil {
			return nil, err
		}
	}
	return results(len(recs), d.refused, d.pos, outs), nil
}

// deleteRecords is the skeleton of every Marketo delete: read each record's key (by id
// field or dedupe fields), delete the readable ones with one apply call, and answer one
// result per record in input order.
func deleteRecords[K any](ctx context.Context, recs []*structpb.Struct, byID bool, keyOf func(*structpb.Struct, bool) (K, *commonv1.Reason),
	del func(context.Context, []K) ([]apply.Outcome, error)) ([]*orchestratorv1.MarketoRecordResult, error) {
	refused := map[int]*commonv1.Reason{}
	var keys []K
	var pos []int
	for i, rec := range recs {
		key, why := keyOf(rec, byID)
		if why != nil {
			refused[i] = why
			continue
		}
		keys = append(keys, key)
		pos = append(pos, i)
	}
	var outs []apply.Outcome
	if len(keys) > 0 {
		var err error
		if outs, err = del(ctx, keys); err != nil {
			return nil, err
		}
	}
	return results(len(recs), refused, pos, outs), nil
}
