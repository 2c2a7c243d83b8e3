// Added to FerretDB's handler package by nims before FerretDB is built (see src/store/ferretdb.ts).

package handler

import (
	"context"
	"errors"

	"github.com/FerretDB/FerretDB/internal/backends"
	"github.com/FerretDB/FerretDB/internal/handler/common"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/iterator"
	"github.com/FerretDB/FerretDB/internal/util/lazyerrors"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// pendingUpdates holds the documents an update command changes until they are written together, in one
// transaction, instead of one transaction each. It stands for the collection in common.UpdateDocument,
// which hands it every document it modified.
type pendingUpdates struct {
	backends.Collection

	// documents modified by updates, each read first
	docs []*types.Document

	// replacements by _id with upsert, written without reading what they replace
	replacements []replacement

	// the _id values of both, as sjson
	ids map[string]struct{}

	// what the replacements came to, once written: as in the reply's n (which counts upserts too) and
	// nModified, and the upserts
	matched  int32
	modified int32
	upserted *types.Array
}

type replacement struct {
	doc   *types.Document
	index int
}

func newPendingUpdates(upserted *types.Array) *pendingUpdates {
	return &pendingUpdates{ids: map[string]struct{}{}, upserted: upserted}
}

func idKey(id any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(id)))
}

// UpdateAll keeps the documents, to write them with the others of the command.
func (p *pendingUpdates) UpdateAll(_ context.Context, params *backends.UpdateAllParams) (*backends.UpdateAllResult, error) {
	for _, doc := range params.Docs {
		p.ids[idKey(must.NotFail(doc.Get("_id")))] = struct{}{}
	}

	p.docs = append(p.docs, params.Docs...)

	return &backends.UpdateAllResult{Updated: int32(len(params.Docs))}, nil
}

// scalarID returns the _id a filter names when that is all it names, as a string or ObjectID.
func scalarID(filter *types.Document) (any, bool) {
	if filter.Len() != 1 {
		return nil, false
	}

	id, err := filter.Get("_id")
	if err != nil {
		return nil, false
	}

	switch id.(type) {
	case string, types.ObjectID:
		return id, true
	}

	return nil, false
}

// unaffected tells whether an update with this filter reads none of the pending documents: its filter
// names one _id (whatever else it names), and not a pending one.
func (p *pendingUpdates) unaffected(filter *types.Document) bool {
	if len(p.ids) == 0 {
		return true
	}

	id, err := filter.Get("_id")
	if err != nil {
		return false
	}

	switch id.(type) {
	case *types.Document, *types.Array:
		return false
	}

	_, pending := p.ids[idKey(id)]

	return !pending
}

// replace takes a whole-document replacement of one _id with upsert (MongoDB's replaceOne with upsert)
// without reading the document it replaces; false when the update is not one (it is then run as usual).
// Such a replacement always counts as modifying what it matched.
func (p *pendingUpdates) replace(u *common.Update, index int) bool {
	if u.HasUpdateOperators || !u.Upsert || u.Multi {
		return false
	}

	id, ok := scalarID(u.Filter)
	if !ok {
		return false
	}

	if own, err := u.Update.Get("_id"); err == nil && types.Compare(own, id) != types.Equal {
		return false
	}

	doc := must.NotFail(types.NewDocument("_id", id))
	for _, key := range u.Update.Keys() {
		if key != "_id" {
			doc.Set(key, must.NotFail(u.Update.Get(key)))
		}
	}

	if doc.ValidateData() != nil {
		return false
	}

	p.ids[idKey(id)] = struct{}{}
	p.replacements = append(p.replacements, replacement{doc: doc, index: index})

	return true
}

// flush writes the pending documents: those read first in one transaction, the replacements in another,
// and the replacements that found nothing to replace are inserted.
func (p *pendingUpdates) flush(ctx context.Context) error {
	docs, replacements := p.docs, p.replacements
	p.docs, p.replacements = nil, nil
	clear(p.ids)

	if len(docs) > 0 {
		if _, err := p.Collection.UpdateAll(ctx, &backends.UpdateAllParams{Docs: docs}); err != nil {
			return lazyerrors.Error(err)
		}
	}

	if len(replacements) == 0 {
		return nil
	}

	all := make([]*types.Document, len(replacements))
	for i, r := range replacements {
		all[i] = r.doc
	}

	res, err := p.Collection.UpdateAll(ctx, &backends.UpdateAllParams{Docs: all})
	if err != nil {
		return lazyerrors.Error(err)
	}

	if int(res.Updated) == len(all) {
		p.matched += res.Updated
		p.modified += res.Updated

		return nil
	}

	return p.upsertMissing(ctx, replacements)
}

// upsertMissing inserts the replacements whose documents do not exist (and counts the others matched).
func (p *pendingUpdates) upsertMissing(ctx context.Context, replacements []replacement) error {
	ids := types.MakeArray(len(replacements))
	for _, r := range replacements {
		ids.Append(must.NotFail(r.doc.Get("_id")))
	}

	filter := must.NotFail(types.NewDocument("_id", must.NotFail(types.NewDocument("$in", ids))))

	res, err := p.Collection.Query(ctx, &backends.QueryParams{Filter: filter})
	if err != nil {
		return lazyerrors.Error(err)
	}

	found := map[string]struct{}{}

	for {
		_, doc, err := res.Iter.Next()
		if errors.Is(err, iterator.ErrIteratorDone) {
			break
		}

		if err != nil {
			res.Iter.Close()
			return lazyerrors.Error(err)
		}

		found[idKey(must.NotFail(doc.Get("_id")))] = struct{}{}
	}

	res.Iter.Close()

	// the documents found are replaced once more: one may have been inserted after the first attempt
	var existing []*types.Document

	for _, r := range replacements {
		if _, ok := found[idKey(must.NotFail(r.doc.Get("_id")))]; ok {
			existing = append(existing, r.doc)
		}
	}

	if len(existing) > 0 {
		if _, err = p.Collection.UpdateAll(ctx, &backends.UpdateAllParams{Docs: existing}); err != nil {
			return lazyerrors.Error(err)
		}

		p.matched += int32(len(existing))
		p.modified += int32(len(existing))
	}

	for _, r := range replacements {
		id := must.NotFail(r.doc.Get("_id"))
		if _, ok := found[idKey(id)]; ok {
			continue
		}

		_, err = p.Collection.InsertAll(ctx, &backends.InsertAllParams{Docs: []*types.Document{r.doc}})

		switch {
		case err == nil:
			p.upserted.Append(must.NotFail(types.NewDocument("index", int32(r.index), "_id", id)))
			p.matched++
		case backends.ErrorCodeIs(err, backends.ErrorCodeInsertDuplicateID):
			// inserted by another command meanwhile: replaced after all
			if _, err = p.Collection.UpdateAll(ctx, &backends.UpdateAllParams{Docs: []*types.Document{r.doc}}); err != nil {
				return lazyerrors.Error(err)
			}

			p.matched++
			p.modified++
		default:
			return lazyerrors.Error(err)
		}
	}

	return nil
}
