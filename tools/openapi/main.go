// Command openapi writes the JSON form of the OpenAPI description from its
// YAML source, after validating it:
//
//	go run ./tools/openapi -in internal/web/openapi.yaml -out internal/web/openapi.json
//
// internal/web runs it through go generate.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/leads/leads/internal/openapigen"
)

func main() {
	in := flag.String("in", "", "the OpenAPI YAML source")
	out := flag.String("out", "", "the JSON file to write")
	flag.Parse()
	if *in == "" || *out == "" || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: openapi -in openapi.yaml -out openapi.json")
		os.Exit(2)
	}
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	js, err := openapigen.Generate(src)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, js, 0o644)
}
