package main

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/duplex-ai/duplex/internal/benchmd"
	"github.com/duplex-ai/duplex/stt/sphinx"
)

// digitTable reports the digit strings per split: WER before (grammar
// alone) and now (with rejection and the digit pass), the digit pass
// alone, how often it stands, and the final decode time; and what it makes
// of the real recordings that are not digits.
func digitTable(rs []outcome) string {
	var b strings.Builder
	b.WriteString("### Digit strings (FSDD, digit pass)\n\n")
	fmt.Fprintf(&b, "The digit pass (`stt/sphinx/digits.go`, margin ≥ %.0f against the phone loop) decodes an utterance again when the grammar or the general LM hears digits. "+
		"Its parameters were tuned on the calibration speakers; WER = digits substituted, dropped or inserted per spoken digit.\n\n", sphinx.DigitMinMargin)
	b.WriteString("| FSDD speakers | split | strings | digits | WER before | WER now | digit pass alone | digit pass stands | margin p10 / median | final decode per s of audio, before / now |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, sp := range []struct{ split, speakers string }{{"calibration", strings.Join(calibSpeakers, "/")}, {"test", strings.Join(testSpeakers, "/")}} {
		var eo, ec, ed, n, strs, acc int
		var margins []float64
		var ob, nb, audio time.Duration
		for _, o := range rs {
			if o.set != "fsdd" || o.split != sp.split {
				continue
			}
			strs++
			e1, w := wordErrors(o.ref, digitsOf(o.old.Text))
			e2, _ := wordErrors(o.ref, digitsOf(o.cur.Text))
			e3, _ := wordErrors(o.ref, digitsOf(o.dg.Digits))
			eo, ec, ed, n = eo+e1, ec+e2, ed+e3, n+w
			if o.dg.Accept {
				acc++
			}
			margins = append(margins, o.dg.Margin)
			ob += o.oldTook
			nb += o.curTook
			audio += o.audio
		}
		if strs == 0 {
			continue
		}
		sort.Float64s(margins)
		w := func(e int) string { return fmt.Sprintf("%.1f%%", 100*float64(e)/float64(max(n, 1))) }
		fmt.Fprintf(&b, "| %s | %s | %d | %d | %s | %s | %s | %s | %.1f / %.1f | %.0f / %.0f ms |\n", sp.speakers, sp.split, strs, n, w(eo), w(ec), w(ed), pct(acc, strs),
			margins[len(margins)/10], margins[len(margins)/2], 1000*ob.Seconds()/audio.Seconds(), 1000*nb.Seconds()/audio.Seconds())
	}
	var stood []string
	nReal := 0
	for _, o := range rs {
		if o.set != "real" || wanted(o) {
			continue
		}
		nReal++
		if o.dg.Accept {
			stood = append(stood, fmt.Sprintf("%s → %s (%.1f)", path.Base(o.voice), o.dg.Digits, o.dg.Margin))
		}
	}
	if nReal > 0 {
		fmt.Fprintf(&b, "\nReal recordings that are not digit strings (pocketsphinx-testdata, test split): the digit pass alone would stand on %d of %d", len(stood), nReal)
		if len(stood) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(stood, "; "))
		}
		b.WriteString("; it runs only when the grammar or the general LM heard digits.\n")
	}
	b.WriteString("\n")
	return b.String()
}

// digitReport is the -only digits report.
func digitReport(rs []outcome, took time.Duration) string {
	return fmt.Sprintf("Measured %s on %s (%d cores), %s, by `go run ./cmd/stt-eval -only digits`; took %s.\n\n",
		time.Now().UTC().Format("2006-01-02"), benchmd.CPUModel(), runtime.NumCPU(), runtime.Version(), took.Round(time.Second)) + digitTable(rs)
}
