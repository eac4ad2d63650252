package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// pageCookie is the state carried in a $skiptoken. It is rendered like Dataverse's
// <cookie pagenumber=".." pagingcookie=".." istracking=".." /> with extra attributes.
type pageCookie struct {
	page     int
	last     string // last id served (rows or deletes phase)
	tracking bool
	phase    string // "full" (plain or tracked full load), "rows" / "dels" (delta)
	from     int64  // delta: version of the deltatoken
	snapshot int64  // tracking: org version when the first page was served
}

// String renders the cookie as a $skiptoken value.
func (c pageCookie) String() string {
	inner := fmt.Sprintf(`<cookie page="%d"><id last="{%s}" /></cookie>`, c.page-1, strings.ToUpper(c.last))
	return fmt.Sprintf(`<cookie pagenumber="%d" pagingcookie="%s" istracking="%s" phase="%s" from="%d" snapshot="%d" />`,
		c.page, qesc(qesc(inner)), pyBool(c.tracking), c.phase, c.from, c.snapshot)
}

// pyBool renders a bool as Dataverse paging cookies do ("True"/"False").
func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

var cookieAttr = regexp.MustCompile(`(\w+)="([^"]*)"`)

// parseCookie reads a $skiptoken produced by pageCookie.String.
func parseCookie(s string) (pageCookie, bool) {
	attrs := map[string]string{}
	for _, m := range cookieAttr.FindAllStringSubmatch(s, -1) {
		attrs[m[1]] = m[2]
	}
	var c pageCookie
	var err error
	if c.page, err = strconv.Atoi(attrs["pagenumber"]); err != nil {
		return c, false
	}
	inner, err := url.QueryUnescape(attrs["pagingcookie"])
	if err == nil {
		inner, err = url.QueryUnescape(inner)
	}
	if err != nil {
		return c, false
	}
	m := regexp.MustCompile(`last="\{([0-9A-Fa-f-]*)\}"`).FindStringSubmatch(inner)
	if m == nil {
		return c, false
	}
	c.last = strings.ToLower(m[1])
	c.tracking = strings.EqualFold(attrs["istracking"], "true")
	c.phase = attrs["phase"]
	c.from, _ = strconv.ParseInt(attrs["from"], 10, 64)
	c.snapshot, _ = strconv.ParseInt(attrs["snapshot"], 10, 64)
	return c, c.phase == "full" || c.phase == "rows" || c.phase == "dels"
}

// collectionRequest is a parsed GET of an entity set.
type collectionRequest struct {
	def      *tableDef
	sel      []string
	selRaw   string
	filter   filterExpr
	filterRw string
	top      int // 0 = none
	p        prefs
	cookie   *pageCookie
	delta    string // $deltatoken on the first delta page
	base     string // http://<host>
}

// parseCollection validates the query options of a collection GET.
func parseCollection(def *tableDef, r *http.Request) (*collectionRequest, *apiError) {
	q := r.URL.Query()
	cr := &collectionRequest{def: def, p: parsePrefer(r.Header), delta: q.Get("$deltatoken"), base: baseURL(r)}
	var e *apiError
	if cr.sel, cr.selRaw, e = parseSelect(def, q); e != nil {
		return nil, e
	}
	for _, opt := range []string{"$skip", "$count", "$apply", "$search", "$compute"} {
		if q.Has(opt) {
			return nil, errNotSupported("The query option '" + opt + "'")
		}
	}
	if q.Has("$skiptoken") {
		c, ok := parseCookie(q.Get("$skiptoken"))
		if !ok {
			return nil, errBadRequest("The $skiptoken value is not a valid paging cookie.")
		}
		cr.cookie = &c
	}
	if cr.tracking() {
		for _, opt := range []string{"$filter", "$orderby", "$expand", "$top"} {
			if q.Has(opt) {
				return nil, errTrackingOption(opt)
			}
		}
		return cr, nil
	}
	if q.Has("$expand") {
		return nil, errNotSupported("$expand")
	}
	if ob := strings.TrimSpace(q.Get("$orderby")); ob != "" && ob != def.primaryID && ob != def.primaryID+" asc" {
		return nil, errNotSupported("$orderby other than '" + def.primaryID + " asc'")
	}
	if q.Has("$top") {
		n, err := strconv.Atoi(q.Get("$top"))
		if err != nil || n <= 0 {
			return nil, errBadRequest("Invalid value for $top: '" + q.Get("$top") + "'.")
		}
		cr.top = min(n, maxPageSize)
	}
	if cr.filterRw = strings.TrimSpace(q.Get("$filter")); cr.filterRw != "" {
		if cr.filter, e = parseFilter(def, cr.filterRw); e != nil {
			return nil, e
		}
	}
	return cr, nil
}

func (cr *collectionRequest) tracking() bool {
	return cr.p.trackChanges || cr.delta != "" || (cr.cookie != nil && cr.cookie.tracking)
}

// serveCollection answers GET /<set> (plain, paged, tracked full load or delta).
func (s *Simulator) serveCollection(w http.ResponseWriter, r *http.Request, def *tableDef) {
	cr, e := parseCollection(def, r)
	if e != nil {
		writeError(w, e)
		return
	}
	base := baseURL(r)
	s.org.mu.RLock()
	cookie := pageCookie{page: 1, phase: "full", tracking: cr.tracking()}
	if cr.cookie != nil {
		cookie = *cr.cookie
	} else if cr.delta != "" {
		from, e := s.deltas.check(cr.delta)
		if e != nil {
			s.org.mu.RUnlock()
			writeError(w, e)
			return
		}
		s.stats.add(&s.stats.deltaRequests, 1)
		cookie.phase, cookie.from = "rows", from
	}
	if cookie.tracking && cookie.page == 1 {
		cookie.snapshot = s.org.version
	}
	value, next := s.page(cr, &cookie)
	s.org.mu.RUnlock()

	ctxSuffix := ""
	if cookie.phase != "full" {
		ctxSuffix = "/$delta"
	}
	body := obj{{"@odata.context", contextURL(base, def, cr.selRaw, ctxSuffix)}, {"value", value}}
	link := base + apiPrefix + def.set + "?"
	if cr.selRaw != "" {
		link += "$select=" + cr.selRaw + "&"
	}
	switch {
	case next != nil:
		if cr.filterRw != "" {
			link += "$filter=" + qesc(cr.filterRw) + "&"
		}
		body.add("@odata.nextLink", link+"$skiptoken="+qesc(next.String()))
	case cookie.tracking:
		body.add("@odata.deltaLink", link+"$deltatoken="+qesc(s.deltas.issue(cookie.snapshot, s.opts.Now())))
	}
	s.stats.add(&s.stats.rowsServed, int64(len(value)))
	ps := ""
	if cr.p.maxPageSize > 0 {
		ps = "odata.maxpagesize=" + strconv.Itoa(cr.p.maxPageSize)
	}
	tc := ""
	if cr.p.trackChanges {
		tc = "odata.track-changes"
	}
	ia := ""
	if cr.p.annotationsRaw != "" {
		ia = "odata.include-annotations=" + cr.p.annotationsRaw
	}
	if pa := applied(ia, ps, tc); pa != "" {
		w.Header().Set("Preference-Applied", pa)
	}
	writeJSON(w, http.StatusOK, body)
}

// page fills one page from the position in cookie; it returns the page and, when more rows
// remain, the cookie of the next page. Caller holds s.org.mu (read).
func (s *Simulator) page(cr *collectionRequest, cookie *pageCookie) ([]any, *pageCookie) {
	t := s.org.tables[cr.def.set]
	size := cr.p.pageSize()
	if cr.top > 0 && !cookie.tracking {
		size = cr.top
	}
	value := make([]any, 0, min(size, len(t.rows)+len(t.tomb)))
	ids := t.sortedIDs()
	last := ""
	if cookie.phase != "dels" {
		start := 0
		if cookie.last != "" {
			start = sort.SearchStrings(ids, cookie.last)
			if start < len(ids) && ids[start] == cookie.last {
				start++
			}
		}
		for _, id := range ids[start:] {
			rec := t.rows[id]
			if cookie.phase == "rows" && rec.vals["versionnumber"].(int64) <= cookie.from {
				continue
			}
			if !matches(rec, cr.filter) {
				continue
			}
			if len(value) == size {
				if cr.top > 0 && !cookie.tracking {
					return value, nil
				}
				return value, s.nextCookie(cookie, last, cookie.phase)
			}
			value = append(value, s.render(cr.def, rec, cr.sel, cr.p))
			last = id
		}
		if cookie.phase != "rows" {
			return value, nil
		}
		cookie.last, last = "", "" // rows done: continue with the deletes
	}
	var dels []string
	for id, v := range t.tomb {
		if v > cookie.from && id > cookie.last {
			dels = append(dels, id)
		}
	}
	sort.Strings(dels)
	for _, id := range dels {
		if len(value) == size {
			return value, s.nextCookie(cookie, last, "dels")
		}
		value = append(value, obj{
			{"@odata.context", cr.base + apiPrefix + "$metadata#" + cr.def.set + "/$deletedEntity"}, {"id", id}, {"reason", "deleted"},
		})
		last = id
	}
	return value, nil
}

func (s *Simulator) nextCookie(c *pageCookie, last, phase string) *pageCookie {
	n := *c
	n.page, n.last, n.phase = c.page+1, last, phase
	return &n
}
