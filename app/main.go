// Package app assembles a running leadflow node: store, service, API server, background work and
// webhook delivery. Main is used by the leadflow binary, by end-to-end tests and by the bench, so
// all three run exactly the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leadflow/leadflow"
	"github.com/leadflow/leadflow/config"
	"github.com/leadflow/leadflow/httpapi"
	"github.com/leadflow/leadflow/postgres"
	"github.com/leadflow/leadflow/service"
	"github.com/leadflow/leadflow/sqlite"
	"github.com/leadflow/leadflow/webhook"
)

// Main is one leadflow node.
type Main struct {
	Addr       string // listen address, e.g. 127.0.0.1:8080 (":0" picks a free port)
	DB         string // SQLite file path, or a postgres:// URL for the PostgreSQL store
	ConfigPath string // optional YAML configuration applied at start
	AdminToken string // optional first admin token (LEADFLOW_ADMIN_TOKEN)
	Clock      leadflow.Clock
	Logger     *slog.Logger
	// SweepEvery is the decay sweep interval (default one minute).
	SweepEvery time.Duration
	// Synchronous overrides the SQLite synchronous pragma (NORMAL by default).
	Synchronous string

	Store   leadflow.Store
	Service *service.Service
	API     *httpapi.Server

	listener net.Listener
	http     *http.Server
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	ready    atomic.Bool
	webhooks *webhook.Worker
}

// OpenStore opens the database named by m.DB.
func (m *Main) OpenStore(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	if m.DB == "" {
		return errors.New("no database: pass --db or set LEADFLOW_DB")
	}
	if postgres.IsDSN(m.DB) {
		var conns int32
		if n, err := strconv.Atoi(os.Getenv("LEADFLOW_PG_MAX_CONNS")); err == nil && n > 0 {
			conns = int32(n)
		}
		st, err := postgres.Open(ctx, m.DB, postgres.Options{Logger: m.Logger, MaxConns: conns})
		if err != nil {
			return err
		}
		m.Store = st
		return nil
	}
	st, err := sqlite.Open(ctx, m.DB, sqlite.Options{Logger: m.Logger, Synchronous: m.Synchronous})
	if err != nil {
		return err
	}
	m.Store = st
	return nil
}

// OpenService opens the store (if needed), the service, applies the configuration file and
// ensures the admin token — everything but the network and background work (used by CLI
// commands such as import and rescore).
func (m *Main) OpenService(ctx context.Context) error {
	if m.Store == nil {
		if err := m.OpenStore(ctx); err != nil {
			return err
		}
	}
	if m.Clock == nil {
		m.Clock = leadflow.SystemClock{}
	}
	m.webhooks = nil
	svc, err := service.New(ctx, m.Store, service.Options{Clock: m.Clock, Logger: m.Logger, OnWebhooks: m.kickWebhooks})
	if err != nil {
		return err
	}
	m.Service = svc
	if m.ConfigPath != "" {
		f, err := config.Load(m.ConfigPath)
		if err != nil {
			return fmt.Errorf("config %s: %w", m.ConfigPath, err)
		}
		ch, err := config.Apply(ctx, svc, f, service.Actor{Name: "config:" + m.ConfigPath, Role: leadflow.RoleAdmin})
		if err != nil {
			return fmt.Errorf("apply config %s: %w", m.ConfigPath, err)
		}
		if ch.ModelChanged {
			m.Logger.Info("scoring model updated from config", slog.Int("version", ch.ModelVersion))
		}
	}
	if m.AdminToken != "" {
		if err := svc.EnsureToken(ctx, service.TokenRequest{Name: "admin (LEADFLOW_ADMIN_TOKEN)", Role: leadflow.RoleAdmin}, m.AdminToken); err != nil {
			return fmt.Errorf("admin token: %w", err)
		}
	}
	return nil
}

func (m *Main) kickWebhooks() {
	if w := m.webhooks; w != nil {
		w.Kick()
	}
}

// Open starts the node: service, listener, HTTP server, background work and webhook delivery.
func (m *Main) Open(ctx context.Context) error {
	if m.Service == nil {
		if err := m.OpenService(ctx); err != nil {
			return err
		}
	}
	if m.Addr == "" {
		m.Addr = "127.0.0.1:8080"
	}
	ln, err := net.Listen("tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", m.Addr, err)
	}
	m.listener = ln
	m.API = httpapi.New(m.Service, httpapi.Options{Logger: m.Logger, Ready: m.ready.Load})
	m.http = &http.Server{Handler: m.API, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn)}
	bg, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.webhooks = webhook.NewWorker(service.WebhookQueue{S: m.Service}, webhook.Options{Clock: m.Clock, Logger: m.Logger})
	m.wg.Add(3)
	go func() { // owned by Main; ends when Close cancels bg
		defer m.wg.Done()
		m.Service.Background(bg, m.SweepEvery, 0)
	}()
	go func() { // owned by Main; ends when Close cancels bg
		defer m.wg.Done()
		_ = m.webhooks.Run(bg)
	}()
	go func() { // owned by Main; ends when Close shuts the server down
		defer m.wg.Done()
		if err := m.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("http server", slog.Any("err", err))
		}
	}()
	m.ready.Store(true)
	return nil
}

// URL is the node's base URL.
func (m *Main) URL() string {
	if m.listener == nil {
		return ""
	}
	return "http://" + m.listener.Addr().String()
}

// Close shuts the node down gracefully (S-REL-4): it stops taking traffic, lets in-flight
// requests finish, stops background work and closes the database.
func (m *Main) Close() error {
	m.ready.Store(false)
	var err error
	if m.Service != nil { // ends the live streams first: Shutdown waits for open connections
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		m.Service.Close(ctx)
		cancel()
	}
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		err = m.http.Shutdown(ctx)
		cancel()
	}
	if m.cancel != nil {
		m.cancel()
	}
	m.wg.Wait()
	if m.Store != nil {
		err = errors.Join(err, m.Store.Close())
		m.Store = nil
	}
	return err
}
