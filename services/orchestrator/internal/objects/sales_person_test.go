package objects

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	identityv1 "github.com/msisync/msisync/gen/msisync/identity/v1"
	"github.com/msisync/msisync/platform/marketo"
)

func TestSalesPersonDecode(t *testing.T) {
	t.Parallel()
	got := &identityv1.SalesPersonInput{}
	if why := SalesPerson.Decode(record(t, `{"externalSalesPersonId":"SP-1","email":"a@b.co","firstName":"Ann","fax":null,"id":"12"}`), got); why != nil {
		t.Fatalf("Decode: %v", why)
	}
	want := &identityv1.SalesPersonInput{Id: proto.Int32(12), ExternalSalesPersonId: proto.String("SP-1"), Email: proto.String("a@b.co"), FirstName: proto.String("Ann"), Fax: proto.String("")}
	if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
	for in, code := range map[string]string{
		`{"externalSalesPersonId":"a","updatedAt":"2026-01-01"}`: marketo.CodeInvalidData,
		`{"externalSalesPersonId":"a","shoeSize":44}`:            marketo.CodeFieldNotFound,
		`{"externalSalesPersonId":{"x":1}}`:                      marketo.CodeInvalidValue,
	} {
		if why := SalesPerson.Decode(record(t, in), &identityv1.SalesPersonInput{}); why.GetCode() != code {
			t.Errorf("Decode(%s) = %v, want code %s", in, why, code)
		}
	}
}
