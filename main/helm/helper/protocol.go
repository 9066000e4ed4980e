package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// ProtocolVersion is bumped on any incompatible change of a request or response shape; the TypeScript client refuses
// a helper whose hello line names another version (a stale dev build, a mismatched bundle).
const ProtocolVersion = 2

// maxLine bounds one request line. Requests carry paths and values, never chart bytes, so 64 MiB is generous; the
// limit keeps a runaway client from growing the helper without bound.
const maxLine = 64 << 20

// inbound is every line the client sends: a request (op + params), a cancellation ($cancel) or the answer to a
// callback the helper asked for ($callback).
type inbound struct {
	ID     int64           `json:"id"`
	Op     string          `json:"op"`
	Params json.RawMessage `json:"params"`
}

type response struct {
	ID     int64      `json:"id"`
	OK     bool       `json:"ok"`
	Result any        `json:"result,omitempty"`
	Error  *HelmError `json:"error,omitempty"`
}

type callbackRequest struct {
	Callback callbackBody `json:"callback"`
}

type callbackBody struct {
	ID        int64  `json:"id"`
	Request   int64  `json:"request"`
	Kind      string `json:"kind"`
	Manifests string `json:"manifests"`
}

type callbackReply struct {
	Callback  int64  `json:"callback"`
	Manifests string `json:"manifests"`
	Error     string `json:"error"`
}

type cancelParams struct {
	ID int64 `json:"id"`
}

// server owns stdout (one writer, whole lines) and the bookkeeping of requests in flight and callbacks awaited.
type server struct {
	out      *bufio.Writer
	outMu    sync.Mutex
	mu       sync.Mutex
	inflight map[int64]context.CancelFunc
	waiting  map[int64]chan callbackReply
	nextCB   int64
	wg       sync.WaitGroup
}

func newServer(w io.Writer) *server {
	return &server{
		out:      bufio.NewWriterSize(w, 1<<16),
		inflight: map[int64]context.CancelFunc{},
		waiting:  map[int64]chan callbackReply{},
	}
}

func (s *server) send(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(response{ID: -1, Error: &HelmError{Code: CodeInternal, Message: "cannot encode a message: " + err.Error()}})
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_, _ = s.out.Write(b)
	_ = s.out.WriteByte('\n')
	_ = s.out.Flush()
}

// serve reads requests until stdin closes, running each in its own goroutine so a slow install does not hold up a
// render. On EOF it cancels whatever is still running and waits for it, so the process never leaves a half-sent line.
func (s *server) serve(in io.Reader) error {
	s.send(map[string]any{"hello": helloInfo()})
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 0, 1<<16), maxLine)
	for sc.Scan() {
		var msg inbound
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil {
			s.send(response{ID: -1, Error: &HelmError{Code: CodeBadRequest, Message: "request is not valid JSON: " + err.Error()}})
			continue
		}
		s.dispatch(msg)
	}
	s.mu.Lock()
	for _, cancel := range s.inflight {
		cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return sc.Err()
}

func (s *server) dispatch(msg inbound) {
	switch msg.Op {
	case "$cancel":
		var p cancelParams
		_ = json.Unmarshal(msg.Params, &p)
		s.mu.Lock()
		if cancel, ok := s.inflight[p.ID]; ok {
			cancel()
		}
		s.mu.Unlock()
		return
	case "$callback":
		var r callbackReply
		if err := json.Unmarshal(msg.Params, &r); err != nil {
			return
		}
		s.mu.Lock()
		ch, ok := s.waiting[r.Callback]
		delete(s.waiting, r.Callback)
		s.mu.Unlock()
		if ok {
			ch <- r
		}
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	if _, dup := s.inflight[msg.ID]; dup {
		s.mu.Unlock()
		cancel()
		s.send(response{ID: msg.ID, Error: &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("request id %d is already in flight", msg.ID)}})
		return
	}
	s.inflight[msg.ID] = cancel
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.inflight, msg.ID)
			s.mu.Unlock()
			cancel()
		}()
		result, err := s.run(ctx, msg)
		if err != nil {
			s.send(response{ID: msg.ID, Error: classify(ctx, err)})
			return
		}
		s.send(response{ID: msg.ID, OK: true, Result: result})
	}()
}

// run executes one operation, turning a panic inside Helm into an Internal error for that request rather than a
// crash of every request in flight.
func (s *server) run(ctx context.Context, msg inbound) (result any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &HelmError{Code: CodeInternal, Message: fmt.Sprintf("helper panic in %s: %v", msg.Op, r)}
		}
	}()
	op, ok := operations[msg.Op]
	if !ok {
		return nil, &HelmError{Code: CodeBadRequest, Message: fmt.Sprintf("unknown operation %q", msg.Op)}
	}
	return op(ctx, &call{srv: s, id: msg.ID, params: msg.Params})
}

// callback asks the client to transform manifests (Flux's post-renderers run in TypeScript) and waits for the answer
// or for the request to be cancelled.
func (s *server) callback(ctx context.Context, request int64, kind, manifests string) (string, error) {
	ch := make(chan callbackReply, 1)
	s.mu.Lock()
	s.nextCB++
	id := s.nextCB
	s.waiting[id] = ch
	s.mu.Unlock()
	s.send(callbackRequest{Callback: callbackBody{ID: id, Request: request, Kind: kind, Manifests: manifests}})
	select {
	case r := <-ch:
		if r.Error != "" {
			return "", &HelmError{Code: CodePostRenderFailed, Message: r.Error}
		}
		return r.Manifests, nil
	case <-ctx.Done():
		s.mu.Lock()
		delete(s.waiting, id)
		s.mu.Unlock()
		return "", ctx.Err()
	}
}

// call is what an operation gets: its params, and a way back to the client for callbacks.
type call struct {
	srv    *server
	id     int64
	params json.RawMessage
}

func (c *call) decode(into any) error {
	if len(c.params) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.params, into); err != nil {
		return &HelmError{Code: CodeBadRequest, Message: "invalid params: " + err.Error()}
	}
	return nil
}

type operation func(ctx context.Context, c *call) (any, error)
