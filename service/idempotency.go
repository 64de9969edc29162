package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/leadflow/leadflow"
)

// Idempotency identifies a retried request (S-LEAD-2, S-REL-2): the caller's token, the
// Idempotency-Key header and a hash of the method, path and body.
type Idempotency struct {
	TokenID     int64
	Key         string
	RequestHash string
}

// Replay is the stored first answer returned for a retried request.
type Replay struct {
	Status int
	Body   []byte
}

// checkIdempotency returns the stored answer when the key was used before. A key reused with a
// different request is an error: the client has a bug, and guessing would lose data.
func checkIdempotency(ctx context.Context, tx leadflow.ReadTx, idem *Idempotency) (*Replay, error) {
	if idem == nil || idem.Key == "" {
		return nil, nil
	}
	rec, err := tx.Idempotency(ctx, idem.TokenID, idem.Key)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if rec.RequestHash != idem.RequestHash {
		return nil, &leadflow.Error{Code: leadflow.EINVALID, Message: "Idempotency-Key was already used for a different request",
			Fields: []leadflow.FieldError{{Field: "Idempotency-Key", Reason: "reused with a different method, path or body"}}}
	}
	return &Replay{Status: rec.Status, Body: rec.Body}, nil
}

// storeIdempotency records the answer to a request with a key, in the same transaction.
func storeIdempotency(ctx context.Context, tx leadflow.Tx, idem *Idempotency, status int, result any, leadID int64, now time.Time) error {
	if idem == nil || idem.Key == "" {
		return nil
	}
	body, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("encode idempotent result: %w", err)
	}
	return tx.PutIdempotency(ctx, leadflow.IdempotencyRecord{TokenID: idem.TokenID, Key: idem.Key, RequestHash: idem.RequestHash,
		Status: status, Body: body, LeadID: leadID, CreatedAt: now})
}
