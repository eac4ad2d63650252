package simulator

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// filterExpr is a parsed $filter: a comparison, or terms joined by and/or.
type filterExpr interface {
	match(rec *record) bool
}

// filterTerm is one "column eq|ne literal" comparison.
type filterTerm struct {
	col *column
	ne  bool
	val any // stored-type value; nil matches null
}

// filterJoin is terms joined by "and" (all) or "or" (any).
type filterJoin struct {
	or    bool
	terms []filterExpr
}

func (j filterJoin) match(rec *record) bool {
	for _, t := range j.terms {
		if t.match(rec) == j.or {
			return j.or
		}
	}
	return !j.or
}

// errFilterUnsupported explains the $filter subset the simulator understands.
func errFilterUnsupported(expr, why string) *apiError {
	return errBadRequest(fmt.Sprintf("The $filter expression '%s' is not supported by this simulator (%s); "+
		"only 'column eq value' and 'column ne value' terms joined by 'and' and 'or', with parentheses, are supported, "+
		"with values that are GUIDs, numbers, true, false, null or 'quoted strings'.", expr, why))
}

// tokenize splits expr at whitespace and parentheses outside single-quoted strings (a
// doubled quote escapes one); each parenthesis is a token of its own.
func tokenize(expr string) ([]string, bool) {
	var toks []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
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
			flush()
		case (ch == '(' || ch == ')') && !inQ:
			flush()
			toks = append(toks, string(ch))
		default:
			cur.WriteByte(ch)
		}
	}
	flush()
	return toks, !inQ
}

// filterParser is a recursive-descent parser of the simulator's $filter subset:
//
//	or   := and ("or" and)*
//	and  := atom ("and" atom)*
//	atom := "(" or ")" | column ("eq"|"ne") literal
type filterParser struct {
	def  *tableDef
	expr string
	toks []string
	at   int
}

// parseFilter parses the simulator's $filter subset.
func parseFilter(def *tableDef, expr string) (filterExpr, *apiError) {
	toks, ok := tokenize(expr)
	if !ok {
		return nil, errFilterUnsupported(expr, "unterminated string literal")
	}
	if len(toks) == 0 {
		return nil, errFilterUnsupported(expr, "empty expression")
	}
	p := &filterParser{def: def, expr: expr, toks: toks}
	f, e := p.join(true)
	if e != nil {
		return nil, e
	}
	if p.at < len(p.toks) {
		return nil, errFilterUnsupported(expr, fmt.Sprintf("unexpected '%s'", p.toks[p.at]))
	}
	return f, nil
}

func (p *filterParser) peek() string {
	if p.at < len(p.toks) {
		return p.toks[p.at]
	}
	return ""
}

// join parses terms joined by "or" (or) or by "and".
func (p *filterParser) join(or bool) (filterExpr, *apiError) {
	word, next := "and", func() (filterExpr, *apiError) { return p.atom() }
	if or {
		word, next = "or", func() (filterExpr, *apiError) { return p.join(false) }
	}
	first, e := next()
	if e != nil {
		return nil, e
	}
	j := filterJoin{or: or, terms: []filterExpr{first}}
	for strings.EqualFold(p.peek(), word) {
		p.at++
		t, e := next()
		if e != nil {
			return nil, e
		}
		j.terms = append(j.terms, t)
	}
	if len(j.terms) == 1 {
		return first, nil
	}
	return j, nil
}

// atom parses a parenthesised expression or one comparison.
func (p *filterParser) atom() (filterExpr, *apiError) {
	if p.peek() == "(" {
		p.at++
		f, e := p.join(true)
		if e != nil {
			return nil, e
		}
		if p.peek() != ")" {
			return nil, errFilterUnsupported(p.expr, "unbalanced parentheses")
		}
		p.at++
		return f, nil
	}
	if p.at+3 > len(p.toks) {
		return nil, errFilterUnsupported(p.expr, "unexpected end of expression")
	}
	name, op, lit := p.toks[p.at], p.toks[p.at+1], p.toks[p.at+2]
	p.at += 3
	if strings.ContainsAny(name, "()/,") || lit == "(" || lit == ")" {
		return nil, errFilterUnsupported(p.expr, "functions and navigation paths")
	}
	if !strings.EqualFold(op, "eq") && !strings.EqualFold(op, "ne") {
		return nil, errFilterUnsupported(p.expr, fmt.Sprintf("operator '%s'", op))
	}
	c := p.def.col(name)
	if c == nil {
		return nil, errNoProperty(p.def, name)
	}
	v, e := parseLiteral(c, lit)
	if e != nil {
		return nil, e
	}
	return filterTerm{col: c, ne: strings.EqualFold(op, "ne"), val: v}, nil
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

// matches reports whether rec satisfies f (a nil f matches every record).
func matches(rec *record, f filterExpr) bool {
	return f == nil || f.match(rec)
}

// match reports whether rec satisfies the comparison.
func (t filterTerm) match(rec *record) bool {
	v := rec.vals[t.col.name]
	var eq bool
	switch {
	case t.val == nil || v == nil:
		eq = t.val == v
	case t.col.typ == tString:
		eq = strings.EqualFold(v.(string), t.val.(string))
	default:
		eq = formatValue(v) == formatValue(t.val)
	}
	return eq != t.ne
}
