package objects

import (
	"sort"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/msisync/msisync/platform/marketo"
)

// fuzzObjects are the objects whose input records FuzzDecode decodes.
var fuzzObjects = []*Object{Company, Lead, Opportunity, OpportunityRole, SalesPerson}

// decodeCodes are the Marketo codes Decode gives a refused record.
var decodeCodes = map[string]bool{
	marketo.CodeInvalidValue:  true,
	marketo.CodeMissingValue:  true,
	marketo.CodeInvalidData:   true,
	marketo.CodeFieldNotFound: true,
}

// FuzzDecode decodes arbitrary JSON objects as input records of every object. Nothing
// panics; a record is either refused with a Marketo code or decodes into an input that
// proto-marshals; the stored record built from that input encodes (with every field and
// with the record's own field names selected) into a Struct the gateway can write as JSON.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"externalCompanyId":"ACME-1","externalSalesPersonId":"sp-1","company":"Acme","numberOfEmployees":"120","annualRevenue":1.5e6,"website":null}`,
		`{"externalCompanyId":"a","shoeSize":44}`,
		`{"externalCompanyId":"a","createdAt":"2020-01-01"}`,
		`{"numberOfEmployees":"many"}`,
		`{"numberOfEmployees":1.5}`,
		`{"numberOfEmployees":2147483648}`,
		`{"numberOfEmployees":-2147483648}`,
		`{"numberOfEmployees":" 12 "}`,
		`{"annualRevenue":"NaN"}`,
		`{"annualRevenue":"1e999"}`,
		`{"annualRevenue":1e308}`,
		`{"externalOpportunityId":"o-1","name":"Deal","closeDate":"2026-12-31","isWon":"true","probability":80,"lastActivityDate":null,"marketoGUID":"g-1"}`,
		`{"closeDate":"next tuesday"}`,
		`{"closeDate":"0001-01-01T00:00:00Z"}`,
		`{"closeDate":"9999-12-31T23:59:59.999999999+14:00"}`,
		`{"closeDate":"2026-02-30"}`,
		`{"closeDate":null,"isWon":null,"probability":null,"amount":null}`,
		`{"clearCloseDate":true}`,
		`{"isWon":"T"}`,
		`{"isWon":1}`,
		`{"email":"a@b.co","favouriteColour":"blue","seats":3}`,
		`{"email":"a@b.co","priority":90}`,
		`{"email":"a@b.co","x":{"y":1}}`,
		`{"email":"a@b.co","x":[1,2]}`,
		`{"email":"a@b.co","customFields":"x"}`,
		`{"email":"a@b.co","id":5}`,
		`{"email":"a@@b"}`,
		`{"externalOpportunityId":"o-1","leadId":7,"role":"Decision Maker","isPrimary":true}`,
		`{"leadId":"7.0"}`,
		`{"externalSalesPersonId":"sp-1","email":"ann@example.com","firstName":"Ann"}`,
		`{"firstName":"\u0000\ud7ff"}`,
		`{"firstName":123456789012345678901234567890}`,
		`{"seq":1,"marketoGUID":null,"updatedAt":"2026-01-01"}`,
		`[1,2]`,
		`"string"`,
		`null`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rec := &structpb.Struct{}
		if err := protojson.Unmarshal(data, rec); err != nil {
			return // not a JSON object: the gateway refuses it before any object sees it
		}
		names := make([]string, 0, len(rec.GetFields()))
		for n := range rec.GetFields() {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, obj := range fuzzObjects {
			in := proto.Clone(obj.Input)
			proto.Reset(in)
			why := obj.Decode(rec, in)
			if why != nil {
				if !decodeCodes[why.GetCode()] || why.GetMessage() == "" {
					t.Fatalf("%s.Decode(%s) refused the record with %v, want code 1001, 1002, 1003 or 1006 and a message", obj.Name, data, why)
				}
				continue
			}
			if _, err := proto.Marshal(in); err != nil {
				t.Fatalf("%s.Decode(%s) gave an input that does not marshal: %v (%v)", obj.Name, data, err, in)
			}
			stored := storedRecord(obj, in)
			for _, fields := range [][]string{nil, names, obj.Fields()} {
				out := obj.Encode(stored, len(names), fields)
				if _, err := protojson.Marshal(out); err != nil {
					t.Fatalf("%s.Encode(%v, fields %q) cannot be written as JSON: %v", obj.Name, stored, fields, err)
				}
				if _, err := proto.Marshal(out); err != nil {
					t.Fatalf("%s.Encode(%v, fields %q) does not marshal: %v", obj.Name, stored, fields, err)
				}
			}
		}
	})
}

// storedRecord builds the Record a service would store for in: every field of the input
// that the Record has under the same name and type.
func storedRecord(obj *Object, in proto.Message) proto.Message {
	out := proto.Clone(obj.Record)
	proto.Reset(out)
	dst := out.ProtoReflect()
	src := in.ProtoReflect()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		rfd := dst.Descriptor().Fields().ByName(fd.Name())
		if rfd == nil || rfd.Kind() != fd.Kind() || rfd.Cardinality() != fd.Cardinality() || rfd.IsMap() != fd.IsMap() {
			return true
		}
		if fd.Kind() == protoreflect.MessageKind && !fd.IsMap() && rfd.Message().FullName() != fd.Message().FullName() {
			return true
		}
		if fd.IsMap() {
			if rfd.MapValue().Kind() != fd.MapValue().Kind() ||
				(fd.MapValue().Kind() == protoreflect.MessageKind && rfd.MapValue().Message().FullName() != fd.MapValue().Message().FullName()) {
				return true
			}
			m := dst.Mutable(rfd).Map()
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				m.Set(k, mv)
				return true
			})
			return true
		}
		if fd.IsList() {
			return true
		}
		dst.Set(rfd, v)
		return true
	})
	return out
}
