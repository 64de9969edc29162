// Package httpapi is leadflow's JSON API (S-API-1): a stdlib ServeMux with method patterns, one
// route table that carries each route's roles (S-SEC-1, S-SEC-2), RFC 9457 problem details,
// strict JSON decoding, body size limits, Idempotency-Key handling, load shedding (S-REL-3),
// Prometheus metrics and the OpenAPI document.
package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/service"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Body size limits (S-SEC-3).
const (
	MaxBody     = 1 << 20  // single objects
	MaxBulkBody = 32 << 20 // batches, CSV files and event arrays
)

// Options configure a Server.
type Options struct {
	Logger *slog.Logger
	// MaxInFlight bounds concurrent API requests; beyond it requests get 503 with Retry-After.
	MaxInFlight int
	// Ready reports whether the node should receive traffic (false while shutting down).
	Ready func() bool
}

// Server serves the API.
type Server struct {
	svc      *service.Service
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []Route
	inflight chan struct{}
	ready    func() bool
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// Route is one API operation: its method, path pattern, the roles allowed and the handler.
type Route struct {
	Method  string
	Pattern string
	Roles   []string // empty: no authentication
	handler func(w http.ResponseWriter, r *http.Request, a service.Actor) error
}

var (
	anyRole   = []string{leadflow.RoleAdmin, leadflow.RoleManager, leadflow.RoleRep}
	managers  = []string{leadflow.RoleAdmin, leadflow.RoleManager}
	admins    = []string{leadflow.RoleAdmin}
	reps      = []string{leadflow.RoleRep}
	ingesters = []string{leadflow.RoleAdmin, leadflow.RoleManager, leadflow.RoleIntegration}
)

// New builds the API server.
func New(svc *service.Service, opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxInFlight <= 0 {
		opts.MaxInFlight = 2048
	}
	if opts.Ready == nil {
		opts.Ready = func() bool { return true }
	}
	s := &Server{svc: svc, log: opts.Logger, mux: http.NewServeMux(), inflight: make(chan struct{}, opts.MaxInFlight), ready: opts.Ready,
		reg: prometheus.NewRegistry()}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "leadflow_http_requests_total", Help: "API requests by route and status."}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "leadflow_http_request_duration_seconds", Help: "API request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	s.reg.MustRegister(s.requests, s.latency, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Pattern, s.wrap(rt))
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, leadflow.Errorf(leadflow.ENOTFOUND, "no route %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path))
	})
	return s
}

// Routes returns the route table (used to check the OpenAPI document).
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// Registry returns the Prometheus registry so other packages can add collectors.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) routeTable() []Route {
	routes := []Route{
		{"GET", "/healthz", nil, s.healthz},
		{"GET", "/readyz", nil, s.readyz},
		{"GET", "/api/v1/openapi.json", nil, s.openapi},

		{"POST", "/api/v1/leads", ingesters, s.upsertLead},
		{"POST", "/api/v1/leads/batch", ingesters, s.batchLeads},
		{"GET", "/api/v1/leads", anyRole, s.listLeads},
		{"GET", "/api/v1/leads/{id}", anyRole, s.getLead},
		{"PATCH", "/api/v1/leads/{id}", ingesters, s.patchLead},
		{"DELETE", "/api/v1/leads/{id}", admins, s.eraseLead},
		{"GET", "/api/v1/leads/{id}/score", anyRole, s.leadScore},
		{"GET", "/api/v1/leads/{id}/history", anyRole, s.leadHistory},
		{"POST", "/api/v1/leads/{id}/stage", anyRole, s.changeStage},
		{"GET", "/api/v1/leads/{id}/export", managers, s.exportLead},
		{"GET", "/api/v1/leads/{id}/assignments", anyRole, s.leadAssignments},
		{"POST", "/api/v1/leads/{id}/contact", anyRole, s.logContact},
		{"POST", "/api/v1/leads/{id}/route", managers, s.routeLead},
		{"POST", "/api/v1/leads/{id}/assign", managers, s.assignLead},
		{"POST", "/api/v1/events", ingesters, s.postEvents},
		{"POST", "/api/v1/leads/{id}/release", anyRole, s.release},
		{"GET", "/api/v1/leads/{id}/claims", managers, s.leadClaims},

		{"GET", "/api/v1/pool", anyRole, s.getPool},
		{"POST", "/api/v1/pool/{lead_id}/claim", reps, s.claim},
		{"POST", "/api/v1/pool/{lead_id}/seen", reps, s.seen},
		{"GET", streamPath, anyRole, s.stream},
		{"GET", "/api/v1/competition", managers, s.getCompetition},
		{"PUT", "/api/v1/competition", admins, s.putCompetition},
		{"POST", "/api/v1/competition/rank-tiers", admins, s.rankTiers},
		{"POST", "/api/v1/teams/{id}/pause", managers, s.pause},
		{"POST", "/api/v1/teams/{id}/resume", managers, s.resume},
		{"GET", "/api/v1/notifications", admins, s.getNotifications},
		{"PUT", "/api/v1/notifications", admins, s.putNotifications},
		{"GET", "/api/v1/push/vapid-key", anyRole, s.vapidKey},
		{"POST", "/api/v1/push/subscriptions", reps, s.subscribePush},
		{"GET", "/api/v1/analytics/pool", managers, s.poolAnalytics},
		{"GET", "/api/v1/analytics/speed-to-lead", managers, s.speedToLead},

		{"GET", "/api/v1/scoring/model", managers, s.getModel},
		{"PUT", "/api/v1/scoring/model", admins, s.putModel},
		{"GET", "/api/v1/scoring/models", managers, s.listModels},
		{"POST", "/api/v1/scoring/preview", managers, s.previewModel},
		{"GET", "/api/v1/scoring/jobs", managers, s.rescoreJobs},

		{"GET", "/api/v1/routing/rules", managers, s.getRoutingRules},
		{"PUT", "/api/v1/routing/rules", admins, s.putRoutingRules},
		{"GET", "/api/v1/routing/recalculation", managers, s.getRecalculation},
		{"PUT", "/api/v1/routing/recalculation", admins, s.putRecalculation},
		{"POST", "/api/v1/routing/recalculate", admins, s.recalculate},
		{"POST", "/api/v1/simulate", managers, s.simulate},
		{"PUT", "/api/v1/reps/{id}/calendar", admins, s.importCalendar},
		{"GET", "/api/v1/reps/weights", managers, s.getWeights},
		{"PUT", "/api/v1/reps/weights", admins, s.putWeights},
		{"GET", "/api/v1/reps/weights/changes", managers, s.weightChanges},
		{"GET", "/api/v1/reps/performance", managers, s.performance},

		{"GET", "/api/v1/settings", managers, s.getSettings},
		{"PUT", "/api/v1/settings", admins, s.putSettings},
		{"GET", "/api/v1/webhooks/deliveries", admins, s.webhookDeliveries},
		{"GET", "/api/v1/costs", managers, s.listCosts},
		{"POST", "/api/v1/costs", managers, s.addCost},
		{"GET", "/api/v1/analytics/cpsql", managers, s.cpsql},
		{"GET", "/api/v1/analytics/funnel", managers, s.funnel},
		{"GET", "/api/v1/analytics/distribution", managers, s.distribution},

		{"GET", "/api/v1/tokens", admins, s.listTokens},
		{"POST", "/api/v1/tokens", admins, s.createToken},
		{"DELETE", "/api/v1/tokens/{id}", admins, s.revokeToken},
	}
	routes = append(routes, entityRoutes(s, "/api/v1/reps", service.RepKind)...)
	routes = append(routes, entityRoutes(s, "/api/v1/teams", service.TeamKind)...)
	return append(routes, entityRoutes(s, "/api/v1/territories", service.TerritoryKind)...)
}

// statusWriter records the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (flushes for the live stream).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// wrap adds metrics, load shedding, authentication and role checks around a route.
func (s *Server) wrap(rt Route) http.Handler {
	name := rt.Method + " " + rt.Pattern
	lat := s.latency.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			lat.Observe(time.Since(start).Seconds())
			s.requests.WithLabelValues(name, strconv.Itoa(sw.status)).Inc()
		}()
		if rt.Roles != nil && rt.Pattern != streamPath {
			select {
			case s.inflight <- struct{}{}:
				defer func() { <-s.inflight }()
			default:
				s.writeError(sw, r, leadflow.Errorf(leadflow.EUNAVAILABLE, "server is at capacity; retry after a second"))
				return
			}
		}
		var actor service.Actor
		if rt.Roles != nil {
			a, err := s.authenticate(r)
			if err != nil {
				s.writeError(sw, r, err)
				return
			}
			if !slices.Contains(rt.Roles, a.Role) {
				s.writeError(sw, r, leadflow.Errorf(leadflow.EFORBIDDEN, "role %s may not %s %s (allowed: %s)", a.Role, rt.Method, rt.Pattern, strings.Join(rt.Roles, ", ")))
				return
			}
			actor = a
		}
		if err := rt.handler(sw, r, actor); err != nil {
			s.writeError(sw, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (service.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
		return service.Actor{}, leadflow.Errorf(leadflow.EUNAUTHORIZED, "an Authorization: Bearer <token> header is required")
	}
	return s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
}

// readBody reads a body under a size limit.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return nil, jsonError(err)
	}
	return b, nil
}

// idempotency builds the idempotency identity of a request from its Idempotency-Key header.
func idempotency(r *http.Request, a service.Actor, body []byte) (*service.Idempotency, error) {
	key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
	if key == "" {
		return nil, nil
	}
	if len(key) > 255 {
		return nil, badRequest("Idempotency-Key", "must be at most 255 characters")
	}
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.Path+"\n")
	h.Write(body)
	return &service.Idempotency{TokenID: a.TokenID, Key: key, RequestHash: hex.EncodeToString(h.Sum(nil))}, nil
}

// writeReplay sends a stored first answer to a retried request.
func writeReplay(w http.ResponseWriter, rp *service.Replay) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rp.Status)
	body := rp.Body
	if len(body) > 0 && body[len(body)-1] != '\n' {
		body = append(body, '\n') // byte-identical to the first answer, which json.Encoder ended with a newline
	}
	_, err := w.Write(body)
	return err
}

func pathID(r *http.Request) (int64, error) { return pathIDNamed(r, "id") }

// pathIDNamed parses the positive integer path parameter name.
func pathIDNamed(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(name, "must be a positive integer")
	}
	return id, nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": leadflow.Version})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request, _ service.Actor) error {
	if !s.ready() {
		return leadflow.Errorf(leadflow.EUNAVAILABLE, "shutting down")
	}
	if err := s.svc.Store().Ping(r.Context()); err != nil {
		return leadflow.Errorf(leadflow.EUNAVAILABLE, "database unreachable")
	}
	return writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "store": s.svc.Store().Dialect(), "node": s.svc.NodeID(), "leader": s.svc.Leader()})
}
