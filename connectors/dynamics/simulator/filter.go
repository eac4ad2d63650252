package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// filterTerm is one "column eq literal" comparison.
type filterTerm struct {
	col *column
	val any // stored-type value; nil matches null
}

// errFilterUnsupported explains the $filter subset the simulator understands.
func errFilterUnsupported(expr, why string) *apiError {
	return errBadRequest(fmt.Sprintf("The $filter expression '%s' is not supported by this simulator (%s); "+
		"only 'column eq value' terms joined by 'and' are supported, with values that are GUIDs, numbers, "+
		"true, false, null or 'quoted strings'.", expr, why))
}

// tokenize splits expr at whitespace outside single-quoted strings (a doubled quote escapes one).
func tokenize(expr string) ([]string, bool) {
	var toks []string
	var cur strings.Builder
	inQ := false
	for i := 0; i < len(expr); i++ {
		ch := expr[i]
		switch {
		case ch == '\'':
			if inQ && i+1 < len(expr) && expr[i+1] == '\'' {
				cur.WriteString("''")
				i++
				continue
			}
			inQ = !inQ
			cur.WriteByte(ch)
		case (ch == ' ' || ch == '\t') && !inQ:
			if cur.Len() > 0 {
				toks = append(toks, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteByte(ch)
		}
	}
	if cur.Len() > 0 {
		toks = append(toks, cur.String())
	}
	return toks, !inQ
}

// parseFilter parses the simulator's $filter subset.
func parseFilter(def *tableDef, expr string) ([]filterTerm, *apiError) {
	toks, ok := tokenize(expr)
	if !ok {
		return nil, errFilterUnsupported(expr, "unterminated string literal")
	}
	if len(toks) == 0 || (len(toks)+1)%4 != 0 {
		return nil, errFilterUnsupported(expr, "unexpected number of tokens")
	}
	var terms []filterTerm
	for i := 0; i < len(toks); i += 4 {
		if i > 0 && !strings.EqualFold(toks[i-1], "and") {
			return nil, errFilterUnsupported(expr, fmt.Sprintf("operator '%s'", toks[i-1]))
		}
		name, op, lit := toks[i], toks[i+1], toks[i+2]
		if strings.ContainsAny(name, "()/") {
			return nil, errFilterUnsupported(expr, "functions, parentheses and navigation paths")
		}
		if !strings.EqualFold(op, "eq") {
			return nil, errFilterUnsupported(expr, fmt.Sprintf("operator '%s'", op))
		}
		c := def.col(name)
		if c == nil {
			return nil, errNoProperty(def, name)
		}
		v, e := parseLiteral(c, lit)
		if e != nil {
			return nil, e
		}
		terms = append(terms, filterTerm{col: c, val: v})
	}
	return terms, nil
}

// parseLiteral converts an OData literal to the stored type of c.
func parseLiteral(c *column, lit string) (any, *apiError) {
	if lit == "null" {
		return nil, nil
	}
	mismatch := func(kind string) (any, *apiError) {
		return nil, errBadRequest(fmt.Sprintf("A binary operator with incompatible types was detected. "+
			"Found operand types '%s' and '%s' for operator kind 'Equal'.", c.typ.edmType(), kind))
	}
	quoted := len(lit) >= 2 && lit[0] == '\'' && lit[len(lit)-1] == '\''
	unq := lit
	if quoted {
		unq = strings.ReplaceAll(lit[1:len(lit)-1], "''", "'")
	}
	switch c.typ {
	case tString:
		if !quoted {
			return mismatch("Edm.Unknown")
		}
		return unq, nil
	case tGUID, tLookup:
		if g, ok := normGUID(unq); ok {
			return g, nil
		}
		return mismatch("Edm.String")
	case tBool:
		if b, err := strconv.ParseBool(lit); err == nil && (lit == "true" || lit == "false") {
			return b, nil
		}
		return mismatch("Edm.String")
	case tInt, tVersion, tNumber:
		f, err := strconv.ParseFloat(lit, 64)
		if quoted || err != nil {
			return mismatch("Edm.String")
		}
		if c.typ == tNumber {
			return f, nil
		}
		return int64(f), nil
	case tDateTime:
		t, err := time.Parse(time.RFC3339, unq)
		if err != nil {
			return mismatch("Edm.String")
		}
		return t.UTC().Format(time.RFC3339), nil
	case tDate:
		if _, err := time.Parse("2006-01-02", unq); err != nil {
			return mismatch("Edm.String")
		}
		return unq, nil
	}
	return mismatch("Edm.Unknown")
}

// matches reports whether rec satisfies every term.
func matches(rec *record, terms []filterTerm) bool {
	for _, t := range terms {
		v := rec.vals[t.col.name]
		switch {
		case t.val == nil || v == nil:
			if t.val != v {
				return false
			}
		case t.col.typ == tString:
			if !strings.EqualFold(v.(string), t.val.(string)) {
				return false
			}
		default:
			if formatValue(v) != formatValue(t.val) {
				return false
			}
		}
	}
	return true
}
