package service

import (
	"context"
	"fmt"

	"github.com/leadflow/leadflow"
)

// leadIndex caches the leads one write transaction works on by id, external id and email, so a
// batch of upserts or events looks its leads up with one query instead of one or two per row.
// Writes are serialized, so a prefetched key that was not found stays absent until this
// transaction creates it.
type leadIndex struct {
	byID    map[int64]*leadflow.Lead
	byExt   map[string]*leadflow.Lead
	byEmail map[string]*leadflow.Lead
	absent  map[string]bool // prefetched keys known not to exist
}

func idKey(id int64) string     { return fmt.Sprint("id:", id) }
func extKey(ext string) string  { return "ext:" + ext }
func emailKey(em string) string { return "email:" + leadflow.NormalizeEmail(em) }
func newLeadIndex() *leadIndex {
	return &leadIndex{byID: map[int64]*leadflow.Lead{}, byExt: map[string]*leadflow.Lead{}, byEmail: map[string]*leadflow.Lead{}, absent: map[string]bool{}}
}

// prefetchMin is the fewest keys worth one batch query; below it the index looks each key up with
// its own indexed statement on first use, which is cheaper for one or two keys.
const prefetchMin = 8

// prefetchLeads loads every lead matching the keys in one query.
func prefetchLeads(ctx context.Context, tx leadflow.ReadTx, ids []int64, exts, emails []string) (*leadIndex, error) {
	ix := newLeadIndex()
	if len(ids)+len(exts)+len(emails) < prefetchMin {
		return ix, nil
	}
	leads, err := tx.LeadsByKeys(ctx, ids, exts, emails)
	if err != nil {
		return nil, err
	}
	for i := range leads {
		ix.put(&leads[i])
	}
	for _, id := range ids {
		if ix.byID[id] == nil {
			ix.absent[idKey(id)] = true
		}
	}
	for _, e := range exts {
		if ix.byExt[e] == nil {
			ix.absent[extKey(e)] = true
		}
	}
	for _, e := range emails {
		if ix.byEmail[leadflow.NormalizeEmail(e)] == nil {
			ix.absent[emailKey(e)] = true
		}
	}
	return ix, nil
}

// put indexes l under its current keys.
func (ix *leadIndex) put(l *leadflow.Lead) {
	ix.byID[l.ID] = l
	delete(ix.absent, idKey(l.ID))
	if l.ExternalID != "" {
		ix.byExt[l.ExternalID] = l
		delete(ix.absent, extKey(l.ExternalID))
	}
	if l.Email != "" {
		ix.byEmail[leadflow.NormalizeEmail(l.Email)] = l
		delete(ix.absent, emailKey(l.Email))
	}
}

// replace re-indexes a lead whose external id or email may have changed from old's.
func (ix *leadIndex) replace(old, l *leadflow.Lead) {
	if old != nil {
		if old.ExternalID != "" && old.ExternalID != l.ExternalID {
			delete(ix.byExt, old.ExternalID)
			ix.absent[extKey(old.ExternalID)] = true
		}
		if old.Email != "" && leadflow.NormalizeEmail(old.Email) != leadflow.NormalizeEmail(l.Email) {
			delete(ix.byEmail, leadflow.NormalizeEmail(old.Email))
			ix.absent[emailKey(old.Email)] = true
		}
	}
	ix.put(l)
}

// lookup returns the lead under one key, querying the store only for keys not prefetched.
func (ix *leadIndex) lookup(ctx context.Context, key string, cached *leadflow.Lead, load func() (*leadflow.Lead, error)) (*leadflow.Lead, error) {
	if cached != nil {
		return cached, nil
	}
	if ix.absent[key] {
		return nil, nil
	}
	l, err := load()
	if isNotFound(err) {
		ix.absent[key] = true
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ix.put(l)
	return l, nil
}

func (ix *leadIndex) byIDLookup(ctx context.Context, tx leadflow.ReadTx, id int64) (*leadflow.Lead, error) {
	return ix.lookup(ctx, idKey(id), ix.byID[id], func() (*leadflow.Lead, error) { return tx.LeadByID(ctx, id) })
}

func (ix *leadIndex) byExtLookup(ctx context.Context, tx leadflow.ReadTx, ext string) (*leadflow.Lead, error) {
	return ix.lookup(ctx, extKey(ext), ix.byExt[ext], func() (*leadflow.Lead, error) { return tx.LeadByExternalID(ctx, ext) })
}

func (ix *leadIndex) byEmailLookup(ctx context.Context, tx leadflow.ReadTx, email string) (*leadflow.Lead, error) {
	return ix.lookup(ctx, emailKey(email), ix.byEmail[leadflow.NormalizeEmail(email)], func() (*leadflow.Lead, error) { return tx.LeadByEmail(ctx, email) })
}

// inputKeys collects the external ids and emails of lead inputs for prefetching.
func inputKeys(in []leadflow.LeadInput) (exts, emails []string) {
	for i := range in {
		if !empty(in[i].ExternalID) {
			exts = append(exts, *in[i].ExternalID)
		}
		if !empty(in[i].Email) {
			emails = append(emails, *in[i].Email)
		}
	}
	return exts, emails
}
