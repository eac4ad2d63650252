package console

import (
	"context"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	orchestratorv1 "github.com/msisync/msisync/gen/msisync/orchestrator/v1"
)

// Marketo's activity types for score changes and interesting moments.
const (
	activityChangeScore       = 22
	activityInterestingMoment = 46
)

// maxActivityPages bounds how many activity pages one panel reads.
const maxActivityPages = 20

// moment is one interesting moment in the timeline.
type moment struct {
	When, Type, Description, Source string
	at                              time.Time
}

// scorePoint is one score change.
type scorePoint struct {
	at     time.Time
	Value  int
	Change int
	Reason string
	When   string
}

// msiData is what the MSI panel shows for a person.
type msiData struct {
	ExternalID   string
	Found        bool
	Name         string
	LeadScore    int
	Urgency      string
	Priority     int
	Stars        int
	Flames       int
	Relative     int
	Moments      []moment
	Scores       []scorePoint
	Chart        template.HTML
	LastActivity string
	record       *structpb.Struct
}

var msiFields = []string{"id", "email", "firstName", "lastName", "externalPersonId", "externalCompanyId", "externalSalesPersonId",
	"leadScore", "urgency", "relativeScore", "relativeUrgency", "priority"}

// msi reads a person's MSI data through the API: the lead's MSI fields and its Change Score
// and Interesting Moment activities.
func (c *Console) msi(ctx context.Context, externalID string) (*msiData, error) {
	d := &msiData{ExternalID: externalID}
	resp, err := c.leads.GetLeads(ctx, &orchestratorv1.GetLeadsRequest{FilterType: "externalPersonId", FilterValues: []string{externalID}, Fields: msiFields})
	if err != nil {
		return nil, err
	}
	if len(resp.GetResult()) == 0 {
		return d, nil
	}
	rec := resp.GetResult()[0]
	d.Found, d.record = true, rec
	d.ExternalID = field(rec, "externalPersonId")
	d.Name = personLabel(rec)
	d.LeadScore = int(number(rec, "leadScore"))
	d.Urgency = strconv.FormatFloat(number(rec, "urgency"), 'f', 1, 64)
	d.Priority = int(number(rec, "priority"))
	d.Stars = clamp(int(number(rec, "relativeScore")), 0, 3)
	d.Relative = int(number(rec, "relativeScore"))
	d.Flames = clamp(int(number(rec, "relativeUrgency")), 0, 3)
	if err := c.activities(ctx, field(rec, "id"), d); err != nil {
		return nil, err
	}
	d.Chart = scoreChart(d.Scores)
	return d, nil
}

// activities reads a lead's score changes and interesting moments, newest first.
func (c *Console) activities(ctx context.Context, leadID string, d *msiData) error {
	tok, err := c.activity.GetActivitiesPagingToken(ctx, &orchestratorv1.GetActivitiesPagingTokenRequest{SinceDatetime: "2000-01-01"})
	if err != nil {
		return err
	}
	next := tok.GetNextPageToken()
	for range maxActivityPages {
		page, err := c.activity.GetLeadActivities(ctx, &orchestratorv1.GetLeadActivitiesRequest{
			NextPageToken: next, ActivityTypeIds: []string{strconv.Itoa(activityChangeScore), strconv.Itoa(activityInterestingMoment)},
			LeadIds: []string{leadID}, BatchSize: 300,
		})
		if err != nil {
			return err
		}
		for _, a := range page.GetResult() {
			at, _ := time.Parse(time.RFC3339, a.GetActivityDate())
			attrs := map[string]*structpb.Value{}
			for _, at := range a.GetAttributes() {
				attrs[at.GetName()] = at.GetValue()
			}
			switch a.GetActivityTypeId() {
			case activityChangeScore:
				d.Scores = append(d.Scores, scorePoint{at: at, When: when(at), Value: int(attrs["New Value"].GetNumberValue()),
					Change: int(attrs["Change Value"].GetNumberValue()), Reason: attrs["Reason"].GetStringValue()})
			case activityInterestingMoment:
				d.Moments = append(d.Moments, moment{at: at, When: when(at), Type: attrs["Type"].GetStringValue(),
					Description: a.GetPrimaryAttributeValue(), Source: attrs["Source"].GetStringValue()})
			}
		}
		if !page.GetMoreResult() || page.GetNextPageToken() == "" || page.GetNextPageToken() == next {
			break
		}
		next = page.GetNextPageToken()
	}
	sort.SliceStable(d.Moments, func(i, j int) bool { return d.Moments[i].at.After(d.Moments[j].at) })
	sort.SliceStable(d.Scores, func(i, j int) bool { return d.Scores[i].at.Before(d.Scores[j].at) })
	return nil
}

func clamp(n, lo, hi int) int { return max(lo, min(hi, n)) }

// msiPage is the MSI panel alone, for a narrow iframe.
func (c *Console) msiPage(w http.ResponseWriter, r *http.Request, s *session) {
	id := r.PathValue("id")
	ctx, cancel := c.ctx(r, s)
	defer cancel()
	d, err := c.msi(ctx, id)
	if err != nil {
		c.failed(w, r, s, "read the MSI data of person '"+id+"'", err)
		return
	}
	c.render(w, r, http.StatusOK, "msi", view{Title: "MSI", Bare: true, Session: s, Data: d})
}
