package simulator

import (
	"net/http"
	"strconv"
	"strings"
)

// maxPageSize is Dataverse's default and maximum page size.
const maxPageSize = 5000

// prefs are the parsed Prefer preferences of a request.
type prefs struct {
	maxPageSize     int      // 0 = not given
	trackChanges    bool     //
	annotations     []string // odata.include-annotations patterns ("-x" excludes)
	annotationsRaw  string   // as given, for Preference-Applied
	continueOnError bool     //
	returnRepr      bool     // return=representation
}

// splitOutsideQuotes splits s at sep, ignoring separators inside double quotes.
func splitOutsideQuotes(s string, sep byte) []string {
	var out []string
	inQ, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '"':
			inQ = !inQ
		case s[i] == sep && !inQ:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// parsePrefer parses every Prefer header of h (comma-separated; quoted values may hold commas).
func parsePrefer(h http.Header) prefs {
	var p prefs
	for _, line := range h.Values("Prefer") {
		for _, item := range splitOutsideQuotes(line, ',') {
			item = strings.TrimSpace(item)
			if i := strings.IndexByte(item, ';'); i >= 0 && !strings.Contains(item[:i], `"`) {
				item = item[:i] // drop preference parameters
			}
			name, val, _ := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			val = strings.TrimSpace(val)
			switch name {
			case "odata.maxpagesize":
				if n, err := strconv.Atoi(strings.Trim(val, `"`)); err == nil && n > 0 {
					p.maxPageSize = min(n, maxPageSize)
				}
			case "odata.track-changes":
				p.trackChanges = true
			case "odata.include-annotations":
				p.annotationsRaw = val
				for _, a := range strings.Split(strings.Trim(val, `"`), ",") {
					if a = strings.TrimSpace(a); a != "" {
						p.annotations = append(p.annotations, a)
					}
				}
			case "odata.continue-on-error":
				p.continueOnError = true
			case "return":
				p.returnRepr = strings.EqualFold(val, "representation")
			}
		}
	}
	return p
}

// pageSize returns the effective page size.
func (p prefs) pageSize() int {
	if p.maxPageSize > 0 {
		return p.maxPageSize
	}
	return maxPageSize
}

// wants reports whether the instance annotation name is requested.
func (p prefs) wants(name string) bool {
	in := false
	for _, pat := range p.annotations {
		excl := strings.HasPrefix(pat, "-")
		pat = strings.TrimPrefix(pat, "-")
		if matchAnnotation(pat, name) {
			if excl {
				return false
			}
			in = true
		}
	}
	return in
}

// matchAnnotation matches an annotation name against "*", "Prefix.*" / "Prefix*" or an exact name
// (case-insensitive).
func matchAnnotation(pat, name string) bool {
	pat, name = strings.ToLower(pat), strings.ToLower(name)
	if pat == "*" {
		return true
	}
	if strings.HasSuffix(pat, "*") {
		return strings.HasPrefix(name, strings.TrimSuffix(pat, "*"))
	}
	return pat == name
}

// applied builds the Preference-Applied value for the preferences the response honours.
func applied(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, ",")
}
