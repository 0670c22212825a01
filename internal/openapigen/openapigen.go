// Package openapigen turns the hand-written OpenAPI description in YAML into
// the JSON document the server embeds and serves.
package openapigen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"
)

// Generate loads an OpenAPI document (YAML or JSON), validates it and returns
// it as JSON indented by two spaces with a trailing newline. Object keys come
// out sorted, so the same input always gives the same bytes. $refs are kept as
// they are, not inlined. The output is loaded and validated again before it is
// returned.
func Generate(src []byte) ([]byte, error) {
	doc, err := load(src)
	if err != nil {
		return nil, err
	}
	compact, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("indent: %w", err)
	}
	out.WriteByte('\n')
	if _, err := load(out.Bytes()); err != nil {
		return nil, fmt.Errorf("the generated JSON: %w", err)
	}
	return out.Bytes(), nil
}

// load parses and validates one document.
func load(src []byte) (*openapi3.T, error) {
	doc, err := openapi3.NewLoader().LoadFromData(src)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("invalid OpenAPI document: %w", err)
	}
	return doc, nil
}
