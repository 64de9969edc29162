package notify

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"time"
)

// MaxLineSize bounds one line of a stream read by a [Decoder].
const MaxLineSize = 16 << 20

// ErrLineTooLong is returned by [Decoder.Next] for a line longer than MaxLineSize.
var ErrLineTooLong = errors.New("notify: event stream line too long")

// Decoder parses a Server-Sent Events stream as the HTML Living Standard's event stream
// interpretation does: lines end in CRLF, LF or CR; "event", "data", "id" and "retry" fields;
// one optional space after the colon; comment lines start with a colon; an event is dispatched
// at a blank line when it has data; the last event id persists across events. It is meant for
// tests, benchmarks and command-line tools consuming leadflow's streams.
type Decoder struct {
	src        io.Reader
	buf        []byte
	start, end int
	err        error // read error to report once the buffer is consumed
	skipLF     bool
	first      bool
	lastID     string
	retry      time.Duration

	// OnComment, when set, is called with the text of every comment line (after the colon),
	// e.g. heartbeats.
	OnComment func(text string)
}

// NewDecoder returns a decoder reading from r.
func NewDecoder(r io.Reader) *Decoder {
	return &Decoder{src: r, buf: make([]byte, 4096), first: true}
}

// LastEventID returns the value of the most recent "id" field.
func (d *Decoder) LastEventID() string { return d.lastID }

// Retry returns the most recent "retry" value, or zero.
func (d *Decoder) Retry() time.Duration { return d.retry }

// Next returns the next dispatched event. Event.ID is the last event id parsed as a decimal
// number (0 when it is not one), Type defaults to "message", and Time is zero. At the end of
// the stream it returns io.EOF; an event not terminated by a blank line is discarded.
func (d *Decoder) Next() (Event, error) {
	var typ string
	var data []byte
	hasData := false
	for {
		line, err := d.readLine()
		if err != nil {
			return Event{}, err
		}
		if len(line) == 0 {
			if !hasData {
				typ = ""
				continue
			}
			if typ == "" {
				typ = EventMessage
			}
			e := Event{Type: typ, Data: data[:len(data)-1]}
			e.ID, _ = strconv.ParseUint(d.lastID, 10, 64)
			return e, nil
		}
		if line[0] == ':' {
			if d.OnComment != nil {
				d.OnComment(string(bytes.TrimPrefix(line[1:], []byte(" "))))
			}
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte(" "))
		}
		switch string(field) {
		case "event":
			typ = string(value)
		case "data":
			data = append(data, value...)
			data = append(data, '\n')
			hasData = true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				d.lastID = string(value)
			}
		case "retry":
			if ms, err := strconv.ParseUint(string(value), 10, 63); err == nil && len(value) > 0 && value[0] != '+' {
				d.retry = time.Duration(ms) * time.Millisecond
			}
		}
	}
}

// readLine returns the next line without its terminator (CRLF, LF or CR). The returned slice
// is valid until the next call.
func (d *Decoder) readLine() ([]byte, error) {
	for {
		if d.skipLF && d.start < d.end {
			d.skipLF = false
			if d.buf[d.start] == '\n' {
				d.start++
			}
		}
		b := d.buf[d.start:d.end]
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			i = len(b)
		}
		if j := bytes.IndexByte(b[:i], '\r'); j >= 0 {
			i = j
		}
		if i < len(b) {
			line := b[:i]
			d.skipLF = b[i] == '\r'
			d.start += i + 1
			return d.strip(line), nil
		}
		if d.err != nil {
			return nil, d.err
		}
		// Need more data: compact, grow if full, read.
		if d.start > 0 {
			d.end = copy(d.buf, d.buf[d.start:d.end])
			d.start = 0
		}
		if d.end == len(d.buf) {
			if len(d.buf) >= MaxLineSize {
				return nil, ErrLineTooLong
			}
			d.buf = append(d.buf, make([]byte, len(d.buf))...)
		}
		n, err := d.src.Read(d.buf[d.end:])
		d.end += n
		if err != nil {
			d.err = err
		}
	}
}

// strip removes a UTF-8 byte order mark at the very start of the stream.
func (d *Decoder) strip(line []byte) []byte {
	if d.first {
		d.first = false
		return bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	return line
}

// ReadEvents decodes the SSE stream r and calls fn for each event until fn returns false or
// the stream ends. It returns nil when fn stopped it or the stream ended cleanly, else the
// read error.
func ReadEvents(r io.Reader, fn func(Event) bool) error {
	d := NewDecoder(r)
	for {
		e, err := d.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if !fn(e) {
			return nil
		}
	}
}
