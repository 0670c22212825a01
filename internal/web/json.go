package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/leads/leads/internal/leads"
)

// maxBodyBytes bounds every request body (the contract's 64 KiB).
const maxBodyBytes = 64 << 10

// writeJSON answers v as JSON with the given status.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	buf := s.jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 { // a huge answer's buffer is not kept
			buf.Reset()
			s.jsonBuffers.Put(buf)
		}
	}()
	// Either way the answer goes into a buffer that outlives the request, so
	// it is not copied per request; Encode is Marshal (HTML escaped too) plus
	// a newline.
	if b, ok := appendJSON(buf.AvailableBuffer(), v); ok {
		buf.Write(append(b, '\n'))
	} else if err := json.NewEncoder(buf).Encode(v); err != nil {
		// Only a programming error (an unencodable type) gets here.
		s.log.Error("encode response", slog.String("error", err.Error()))
		buf.Reset()
		buf.WriteString(`{"success":false,"statusCode":500,"error":"Internal Server Error","message":"Internal server error"}` + "\n")
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// appendJSON appends the answers the load is made of (a lead, a page of
// leads, a save's answer without warnings) as encoding/json would encode
// them, through leads' AppendJSON, with no reflection; false for any other.
func appendJSON(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case success:
		var data func([]byte) []byte
		switch d := v.Data.(type) {
		case leads.Lead:
			data = d.AppendJSON
		case *leads.Lead:
			data = d.AppendJSON
		case leads.LeadPage:
			data = d.AppendJSON
		default:
			return b, false
		}
		b = strconv.AppendBool(append(b, `{"success":`...), v.Success)
		if v.Message != "" {
			b = leads.AppendJSONString(append(b, `,"message":`...), v.Message)
		}
		return append(data(append(b, `,"data":`...)), '}'), true
	case saveResponse:
		if len(v.Warnings) > 0 {
			return b, false
		}
		b = strconv.AppendBool(append(b, `{"success":`...), v.Success)
		b = leads.AppendJSONString(append(b, `,"message":`...), v.Message)
		b = v.Data.AppendJSON(append(b, `,"data":`...))
		return append(b, '}'), true
	}
	return b, false
}

// readBody reads the whole request body, at most maxBodyBytes; a larger body is
// a CodeTooLarge error (413).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, errBodyTooLarge
		}
		return nil, errUnreadable
	}
	return body, nil
}

// success is the contract's success shape. Data is always present: a missing
// lead is "data": null.
type success struct {
	Success bool   `json:"success"`
	Message string `json:"message,omitempty"`
	Data    any    `json:"data"`
}

// ok returns a success body around data.
func ok(message string, data any) success {
	return success{Success: true, Message: message, Data: data}
}
