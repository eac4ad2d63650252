package console

import (
	"fmt"
	"html/template"
	"strings"
)

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartW, chartH = 320.0, 120.0
	chartPad       = 24.0
)

// scoreChart draws the lead score over time as an inline SVG line chart, server-side (no
// chart script). Points are evenly spaced in time order; the y axis runs from the lowest to
// the highest score. It is "" when there is nothing to draw.
func scoreChart(points []scorePoint) template.HTML {
	if len(points) == 0 {
		return ""
	}
	lo, hi := points[0].Value, points[0].Value
	for _, p := range points {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	lo = min(lo, 0)
	if hi == lo {
		hi = lo + 1
	}
	x := func(i int) float64 {
		if len(points) == 1 {
			return chartW / 2
		}
		return chartPad + float64(i)*(chartW-2*chartPad)/float64(len(points)-1)
	}
	y := func(v int) float64 {
		return chartH - chartPad - float64(v-lo)*(chartH-2*chartPad)/float64(hi-lo)
	}
	var b strings.Builder
	desc := fmt.Sprintf("Lead score over %d changes, from %d to %d", len(points), points[0].Value, points[len(points)-1].Value)
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" role="img" aria-labelledby="chart-title"><title id="chart-title">%s</title>`,
		chartW, chartH, template.HTMLEscapeString(desc))
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="#8a94a6" stroke-width="1"/>`, chartPad, chartH-chartPad, chartW-chartPad/2, chartH-chartPad)
	fmt.Fprintf(&b, `<text x="2" y="%g" font-size="10" fill="#4a5568">%d</text>`, y(hi)+4, hi)
	fmt.Fprintf(&b, `<text x="2" y="%g" font-size="10" fill="#4a5568">%d</text>`, y(lo)+4, lo)
	var pts []string
	for i, p := range points {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(i), y(p.Value)))
	}
	fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#2563eb" stroke-width="2"/>`, strings.Join(pts, " "))
	for i, p := range points {
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#2563eb"><title>%s: %d (%+d)</title></circle>`,
			x(i), y(p.Value), template.HTMLEscapeString(p.When), p.Value, p.Change)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // every interpolated text is escaped above
}
