package notify

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestAppendFrame(t *testing.T) {
	for _, tc := range []struct {
		e    Event
		want string
	}{
		{Event{ID: 7, Type: "offer", Data: []byte(`{"a":1}`)}, "id: 7\nevent: offer\ndata: {\"a\":1}\n\n"},
		{Event{ID: 8, Type: "x", Data: []byte("a\nb\r\nc\rd")}, "id: 8\nevent: x\ndata: a\ndata: b\ndata: c\ndata: d\n\n"},
		{Event{Type: "bad\r\ntype"}, "event: bad  type\ndata: \n\n"},
		{Event{ID: 9, Data: []byte("trailing\n")}, "id: 9\ndata: trailing\ndata: \n\n"},
	} {
		if got := string(AppendFrame(nil, &tc.e)); got != tc.want {
			t.Errorf("AppendFrame(%+v) = %q, want %q", tc.e, got, tc.want)
		}
	}
}

// TestFrameRoundTrip encodes events with awkward data and decodes them again.
func TestFrameRoundTrip(t *testing.T) {
	events := []Event{
		{ID: 1, Type: "a", Data: []byte("one line")},
		{ID: 2, Type: "b", Data: []byte("two\nlines")},
		{ID: 3, Type: "c", Data: []byte("")},
		{ID: 4, Type: "d", Data: []byte(" leading space and : colon")},
		{ID: 5, Type: "e", Data: []byte("\n\nblank lines\n")},
	}
	var stream []byte
	for i := range events {
		stream = AppendFrame(stream, &events[i])
	}
	var got []Event
	// One byte at a time, to exercise reads that split lines.
	err := ReadEvents(iotest.OneByteReader(strings.NewReader(string(stream))), func(e Event) bool {
		got = append(got, e)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(events) {
		t.Fatalf("decoded %d events, want %d", len(got), len(events))
	}
	for i, e := range events {
		if got[i].ID != e.ID || got[i].Type != e.Type || string(got[i].Data) != string(e.Data) {
			t.Errorf("event %d: got %+v, want %+v", i, got[i], e)
		}
	}
}

// TestDecoderSpec follows the examples of the HTML standard's event stream section.
func TestDecoderSpec(t *testing.T) {
	decode := func(s string) ([]Event, *Decoder) {
		d := NewDecoder(strings.NewReader(s))
		var out []Event
		for {
			e, err := d.Next()
			if err == io.EOF {
				return out, d
			}
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, e)
		}
	}
	evs, _ := decode("data: YHOO\ndata: +2\ndata: 10\n\n")
	if len(evs) != 1 || string(evs[0].Data) != "YHOO\n+2\n10" || evs[0].Type != EventMessage {
		t.Errorf("stock example: %+v", evs)
	}

	d := NewDecoder(strings.NewReader(": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"))
	var comments []string
	d.OnComment = func(s string) { comments = append(comments, s) }
	var datas, ids []string
	for {
		e, err := d.Next()
		if err != nil {
			break
		}
		datas = append(datas, string(e.Data))
		ids = append(ids, strconv.FormatUint(e.ID, 10)+"/"+d.LastEventID())
	}
	if !slices.Equal(datas, []string{"first event", "second event", " third event"}) ||
		!slices.Equal(ids, []string{"1/1", "0/", "0/"}) || !slices.Equal(comments, []string{"test stream"}) {
		t.Errorf("id example: data %q ids %q comments %q", datas, ids, comments)
	}

	evs, _ = decode("data\n\ndata\ndata\n\ndata:")
	if len(evs) != 2 || string(evs[0].Data) != "" || string(evs[1].Data) != "\n" {
		t.Errorf("empty data example: %+v", evs)
	}

	evs, _ = decode("data:test\n\ndata: test\n\n")
	if len(evs) != 2 || string(evs[0].Data) != "test" || string(evs[1].Data) != "test" {
		t.Errorf("space example: %+v", evs)
	}

	// CR and CRLF line endings, a BOM, retry, an event without data (not dispatched).
	evs, d = decode("\xef\xbb\xbfretry: 2500\revent: x\r\rid: 5\r\nevent: y\r\ndata: z\r\n\r\n")
	if len(evs) != 1 || evs[0].Type != "y" || evs[0].ID != 5 || string(evs[0].Data) != "z" || d.Retry() != 2500*time.Millisecond {
		t.Errorf("line endings: %+v retry %v", evs, d.Retry())
	}
}

// TestServeStreamFlushesHeadersAndRetry checks the first bytes of a stream: the retry field
// is sent at once, before any event.
func TestServeStreamFlushesHeadersAndRetry(t *testing.T) {
	h := newHub(t, HubOptions{})
	srv, _ := streamServer(t, h, StreamOptions{Retry: 1500 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"?rep=1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 64)
	n, err := io.ReadAtLeast(resp.Body, buf, len("retry: 1500\n\n"))
	if err != nil || string(buf[:n]) != "retry: 1500\n\n" {
		t.Fatalf("first bytes %q, %v", buf[:n], err)
	}
}
