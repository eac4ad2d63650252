package insight

import (
	"context"
	"fmt"
	"strconv"

	"github.com/msisync/msisync/platform/marketo"
	"github.com/msisync/msisync/services/orchestrator/internal/store"
)

// WithUpstream makes the diagnostics say, in upstream mode (MSISYNC_MARKETO_URL set),
// whether the customer's Marketo accepted each diagnosed record, from the outbox st keeps.
// A nil st is embedded mode: the reports stay as they are. It returns s.
func (s *Server) WithUpstream(st store.UpstreamStore) *Server {
	s.upstream = st
	return s
}

// upstreamNames name the objects in the "accepted by Marketo" check.
var upstreamNames = map[store.UpstreamObject]string{
	store.UpstreamSalesPerson: "sales person",
	store.UpstreamCompany:     "company",
	store.UpstreamLead:        "lead",
	store.UpstreamOpportunity: "opportunity",
	store.UpstreamRole:        "opportunity role",
}

// skipWords say in words why Marketo skipped a record, by Marketo's reason code.
var skipWords = map[string]string{
	marketo.CodeInvalidData:         "Marketo refused a value",
	marketo.CodeLeadNotFound:        "Marketo has no such lead to update",
	marketo.CodeFieldNotFound:       "the field does not exist in this Marketo instance: create it in Admin → Field Management or remove it from the mapping",
	marketo.CodeMultipleLeadsMatch:  "several Marketo leads share this key: merge the duplicates in Marketo",
	marketo.CodeObjectNotFound:      "the parent is not in Marketo",
	marketo.CodeSalesPersonNotFound: "Marketo has no sales person with this externalSalesPersonId",
}

// leadKey, companyKey and opportunityKey name a diagnosed record in the outbox by its
// msisync id, as the upstream fences do.
func leadKey(id int32) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamLead, LocalID: store.LocalID(id, "")}
}

func companyKey(id int32) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamCompany, LocalID: store.LocalID(id, "")}
}

func opportunityKey(marketoGUID string) store.UpstreamKey {
	return store.UpstreamKey{Object: store.UpstreamOpportunity, LocalID: store.LocalID(0, marketoGUID)}
}

// delivery adds, in upstream mode, the "accepted by Marketo" check of each key: whether
// Marketo holds the record as last sent, why it refused it, or why it still waits. It
// reads the outbox with one GetDelivered and one WaitReasons call.
func (s *Server) delivery(ctx context.Context, r *report, keys ...store.UpstreamKey) error {
	if s.upstream == nil {
		return nil
	}
	var named []store.UpstreamKey
	for _, k := range keys {
		if k.LocalID != "" {
			named = append(named, k)
		}
	}
	if len(named) == 0 {
		return nil
	}
	delivered, err := s.upstream.GetDelivered(ctx, named)
	if err != nil {
		return internal(err)
	}
	waits, err := s.upstream.WaitReasons(ctx, named)
	if err != nil {
		return internal(err)
	}
	for _, k := range named {
		d, had := delivered[k]
		why, waiting := waits[k]
		passed, msg := deliveryMessage(k.Object, d, had, why, waiting)
		r.check("accepted by Marketo", passed, msg, msg)
	}
	return nil
}

// deliveryMessage says what Marketo holds of one record (d, when had) and why a newer
// version waits in the outbox (why, when waiting), and whether that passes.
func deliveryMessage(obj store.UpstreamObject, d store.Delivered, had bool, why string, waiting bool) (bool, string) {
	var last string // Marketo's (or msisync's) last word on the record
	accepted := false
	switch {
	case !had:
	case (d.Status == "created" || d.Status == "updated") && d.Known():
		accepted = true
		ref := d.MarketoGUID
		if ref == "" {
			ref = strconv.FormatInt(d.MarketoID, 10)
		}
		last = fmt.Sprintf("accepted by Marketo: %s %s (%s %s)", upstreamNames[obj], ref, d.Status, d.At.UTC().Format("2006-01-02 15:04 UTC"))
	case d.Status == "skipped":
		last = "not accepted by Marketo"
		if reason := skipReason(d.Code, d.Message); reason != "" {
			last += ": " + reason
		}
	case d.Status == "unsent":
		last = d.Message
		if last == "" {
			last = "msisync did not send it to Marketo"
		}
	}
	switch {
	case accepted && waiting:
		return true, last + "; a newer version is waiting: " + why
	case accepted:
		return true, last
	case waiting && last != "":
		return false, "waiting for Marketo: " + why + "; the version before: " + last
	case waiting:
		return false, "waiting for Marketo: " + why
	case last != "":
		return false, last
	default:
		return false, "not in Marketo yet"
	}
}

// skipReason is Marketo's reason for skipping a record: its code, the code in words when
// it is a common one, and Marketo's message.
func skipReason(code, message string) string {
	head := code
	if words := skipWords[code]; words != "" {
		head += " " + words
	}
	switch {
	case head == "":
		return message
	case message == "":
		return head
	default:
		return head + ": " + message
	}
}
