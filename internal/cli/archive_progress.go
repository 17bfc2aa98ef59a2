package cli

import (
	"fmt"
	"strings"
	"time"
)

// progressBar draws a bar on a terminal; elsewhere (CI logs) it writes a
// quiet line at each quarter of a large upload, and nothing for a small one.
type progressBar struct {
	env     *Env
	name    string
	total   int64
	start   time.Time
	last    time.Time
	drawn   bool
	quarter int64
}

// quietLines is the size from which uploads get progress lines off a
// terminal.
const quietLines = 64 << 20

func newProgressBar(env *Env, name string, total int64) *progressBar {
	return &progressBar{env: env, name: name, total: total, start: time.Now()}
}

func (p *progressBar) update(done int64) {
	if p.total == 0 {
		return
	}
	if !p.env.IsTerminal {
		if q := done * 4 / p.total; p.total >= quietLines && q > p.quarter && q < 4 {
			p.quarter = q
			fmt.Fprintf(p.env.Stdout, "%s: %d%% uploaded (%s of %s)\n", p.name, q*25, storeBytes(done), storeBytes(p.total))
		}
		return
	}
	now := time.Now()
	if now.Sub(p.last) < 100*time.Millisecond && done < p.total {
		return
	}
	p.last = now
	const width = 30
	n := int(done * width / p.total)
	rate := float64(done) / max(now.Sub(p.start).Seconds(), 0.001)
	fmt.Fprintf(p.env.Stderr, "\r%3d%% [%s%s] %s/%s %s/s ", done*100/p.total, strings.Repeat("#", n), strings.Repeat(" ", width-n),
		storeBytes(done), storeBytes(p.total), storeBytes(int64(rate)))
	p.drawn = true
}

func (p *progressBar) done() {
	if p.drawn {
		fmt.Fprintln(p.env.Stderr)
	}
}

func storeBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
