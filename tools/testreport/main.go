// Command testreport reads `go test -json` on standard input and prints what
// `go test` prints (a line per package, the output of failing tests), then a
// summary of every skipped case grouped by its reason, so a run that passed
// says, once, what it did not run and why. It exits 1 when anything failed.
//
//	go test -json ./... | go run ./tools/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// event is one line of `go test -json` (see `go doc test2json`).
type event struct {
	Action  string
	Package string
	Test    string
	Elapsed float64
	Output  string
}

func main() {
	failed, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// report reads events from r and writes the report to w; failed tells
// whether any test, package or build failed.
func report(r io.Reader, w io.Writer) (failed bool, err error) {
	output := map[string][]string{} // package/test -> its output lines
	skips := map[string]int{}       // reason -> skipped cases
	counts := map[string]int{}      // action -> tests
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil || e.Action == "" {
			// Not an event (a build error printed as is): pass it through.
			fmt.Fprintln(w, string(line))
			if strings.Contains(string(line), "FAIL") || strings.Contains(string(line), "build failed") {
				failed = true
			}
			continue
		}
		key := e.Package + "/" + e.Test
		switch e.Action {
		case "output":
			output[key] = append(output[key], e.Output)
		case "pass", "fail", "skip":
			if e.Test != "" {
				counts[e.Action]++
			}
			switch {
			case e.Test == "" && e.Action == "fail":
				failed = true
				fmt.Fprintf(w, "FAIL\t%s\t%.3fs\n", e.Package, e.Elapsed)
				printOutput(w, output[key])
			case e.Test == "" && e.Action == "skip":
				fmt.Fprintf(w, "?   \t%s\t[no test files]\n", e.Package)
			case e.Test == "":
				fmt.Fprintf(w, "ok  \t%s\t%.3fs\n", e.Package, e.Elapsed)
			case e.Action == "fail":
				failed = true
				printOutput(w, output[key])
			case e.Action == "skip":
				skips[skipReason(output[key])]++
			}
			delete(output, key)
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	fmt.Fprintf(w, "\n%d tests passed, %d failed, %d skipped\n", counts["pass"], counts["fail"], counts["skip"])
	for _, reason := range slices.Sorted(maps.Keys(skips)) {
		fmt.Fprintf(w, "  skipped %4d: %s\n", skips[reason], reason)
	}
	return failed, nil
}

// skipReason is the message a skipped test gave (the t.Skip text), without
// its file:line prefix.
func skipReason(lines []string) string {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "=== ") || strings.HasPrefix(l, "--- ") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ".go:"); ok {
			if _, msg, ok = strings.Cut(msg, ": "); ok {
				return msg
			}
		}
		return l
	}
	return "(no reason given)"
}

func printOutput(w io.Writer, lines []string) {
	for _, l := range lines {
		fmt.Fprint(w, l)
	}
}
