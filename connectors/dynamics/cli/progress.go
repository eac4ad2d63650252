package cli

import (
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/msisync/msisync/connectors/dynamics/connector"
)

// Progress draws a sync cycle's progress on a terminal: a counter of rows read from
// Dataverse (with the records sent so far), then a bar of the records the orchestrator has
// processed out of those sent, then a counter of writeback entries.
type Progress struct {
	out   io.Writer
	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	phase connector.Phase
	sent  int
}

// NewProgress draws on out (standard error, usually).
func NewProgress(out io.Writer) *Progress { return &Progress{out: out} }

// TerminalProgress draws on f when it is a terminal, and returns nil otherwise: a nil
// *Progress draws nothing.
func TerminalProgress(f *os.File) *Progress {
	if !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return NewProgress(f)
}

// Event takes one connector progress event; pass it as connector.Options.Progress.
func (p *Progress) Event(e connector.Event) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e.Phase {
	case connector.PhasePull, connector.PhaseSend:
		// The tables are read at once and each is sent as soon as it is mapped: one counter
		// of rows read, with the records sent so far in its description.
		if p.phase != connector.PhasePull {
			p.finish()
			p.bar = p.counter("reading Dynamics")
			p.phase = connector.PhasePull
		}
		if e.Phase == connector.PhaseSend {
			p.sent += e.Done
			p.bar.Describe(fmt.Sprintf("reading Dynamics, %d records sent to msisync", p.sent))
			return
		}
	case connector.PhaseApply:
		if p.phase != connector.PhaseApply {
			p.finish()
			p.bar = progressbar.NewOptions(p.sent, progressbar.OptionSetWriter(p.out), progressbar.OptionSetDescription("orchestrator applying"),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("records"),
				progressbar.OptionSetWidth(30), progressbar.OptionThrottle(100e6), progressbar.OptionClearOnFinish())
			p.phase = connector.PhaseApply
		}
	case connector.PhaseWriteback:
		if p.phase != connector.PhaseWriteback {
			p.finish()
			p.bar = p.counter("writing MSI fields back")
			p.phase = connector.PhaseWriteback
		}
	case connector.PhaseDone:
		p.finish()
		p.phase, p.sent = 0, 0
		return
	}
	if p.bar != nil && e.Done > 0 {
		_ = p.bar.Add(e.Done)
	}
}

// Finish ends the current bar.
func (p *Progress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finish()
}

func (p *Progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		fmt.Fprintln(p.out)
		p.bar = nil
	}
}

// counter is a bar of unknown length that counts rows.
func (p *Progress) counter(what string) *progressbar.ProgressBar {
	return progressbar.NewOptions(-1, progressbar.OptionSetWriter(p.out), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100e6), progressbar.OptionSpinnerType(14))
}
