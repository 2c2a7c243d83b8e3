// Added to FerretDB's sjson package by nims, and run before FerretDB is built (see src/store/ferretdb.ts):
// nims' decoder and encoder against FerretDB's own, on random documents of every type FerretDB keeps.
//
//	go test -run NimsCodec -bench NimsCodec ./internal/handler/sjson/

package sjson

import (
	"bytes"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/internal/types"
)

// pieces of strings: the ones JSON escapes, HTML characters encoding/json escapes, multi-byte runes
var nimsPieces = []string{
	"a", "Z", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "<", ">", "&",
	"\u2028", "\u2029", "é", "漢", "😀", " ", "$", ".", "\x7f", "\ufffd",
}

// ferretdbMarshal and ferretdbUnmarshal are FerretDB's own, without nims' decoder and encoder.
func ferretdbMarshal(d *types.Document) ([]byte, error) {
	nimsCodec = false
	defer func() { nimsCodec = true }()

	return Marshal(d)
}

func ferretdbUnmarshal(data []byte) (*types.Document, error) {
	nimsCodec = false
	defer func() { nimsCodec = true }()

	return Unmarshal(data)
}

func nimsString(r *rand.Rand) string {
	var b bytes.Buffer
	for n := r.Intn(8); n > 0; n-- {
		b.WriteString(nimsPieces[r.Intn(len(nimsPieces))])
	}

	return b.String()
}

func nimsValue(r *rand.Rand, depth int) any {
	switch k := r.Intn(14); {
	case k == 0 && depth < 4:
		return nimsDocument(r, depth+1, false)
	case k == 1 && depth < 4:
		a := types.MakeArray(0)
		for n := r.Intn(4); n > 0; n-- {
			a.Append(nimsValue(r, depth+1))
		}

		return a
	case k == 2:
		doubles := []float64{0, 1.5, -2.25e-300, 1e300, 5e-324, 123456789012345678, 1e21, 1e20, 0.000001, 1e-7}
		return doubles[r.Intn(len(doubles))]
	case k == 3:
		return nimsString(r)
	case k == 4:
		b := make([]byte, r.Intn(5))
		r.Read(b)

		return types.Binary{B: b, Subtype: types.BinarySubtype(r.Intn(6))}
	case k == 5:
		var o types.ObjectID
		r.Read(o[:])

		return o
	case k == 6:
		return r.Intn(2) == 0
	case k == 7:
		return time.UnixMilli(r.Int63n(1e13) - 5e12)
	case k == 8:
		return types.Null
	case k == 9:
		return types.Regex{Pattern: nimsString(r), Options: "im"}
	case k == 10:
		return int32(r.Uint32())
	case k == 11:
		return types.Timestamp(r.Uint64())
	default:
		return int64(r.Uint64())
	}
}

// nimsDocument is a random document; a top-level one has an _id, and keys Marshal writes as they are
// (it does not escape top-level keys) are left out of it.
func nimsDocument(r *rand.Rand, depth int, top bool) *types.Document {
	d := types.MakeDocument(0)
	if top {
		d.Set("_id", nimsString(r))
	}

	for n := r.Intn(6); n > 0; n-- {
		k := nimsString(r)
		if d.Has(k) || k == "$s" || (top && k == "") {
			continue
		}

		d.Set(k, nimsValue(r, depth))
	}

	return d
}

func TestNimsCodecMatches(t *testing.T) {
	r := rand.New(rand.NewSource(1))

	for i := 0; i < 100000; i++ {
		d := nimsDocument(r, 0, true)

		want, werr := ferretdbMarshal(d)
		got, ok := fastMarshal(d)

		if werr != nil {
			if ok {
				t.Fatalf("fastMarshal wrote what Marshal refused: %v", d)
			}

			continue
		}

		if !ok || !bytes.Equal(want, got) {
			t.Fatalf("written differently (ok %v):\n%s\n%s", ok, want, got)
		}

		read, err := ferretdbUnmarshal(want)
		if err != nil {
			continue // keys Marshal writes as they are may not read back; neither decoder is asked to
		}

		fast, ok := fastUnmarshal(want)
		if !ok {
			t.Fatalf("fastUnmarshal gave up on what Marshal wrote: %s", want)
		}

		again, _ := ferretdbMarshal(fast)
		if !reflect.DeepEqual(read, fast) || !bytes.Equal(want, again) {
			t.Fatalf("read differently:\n%s\n%v\n%v", want, read, fast)
		}
	}
}

func TestNimsCodecEdges(t *testing.T) {
	doc := func(schema, value string) []byte {
		return []byte(`{"$s":{"p":{"_id":` + schema + `},"$k":["_id"]},"_id":` + value + `}`)
	}
	str := `{"t":"string"}`
	integer := `{"t":"int"}`

	for _, data := range [][]byte{
		// escapes, surrogate pairs, lone surrogates (U+FFFD, as encoding/json reads them) and broken ones
		doc(str, `"a\u00e9\ud83d\ude00b"`), doc(str, `"\ud83d"`), doc(str, `"\ud83dx"`), doc(str, `"\ude00\ud83d"`),
		doc(str, `"\u0041\/\b\f\n\r\t\"\\"`), doc(str, `"\ud83d\u0041"`), doc(str, `"x\uD83D\uDE00"`),
		doc(str, `"\u12"`), doc(str, `"\x"`), doc(str, "\"a\x01\""), doc(str, "\"\xff\""), doc(str, `"abc`),
		// numbers JSON does not allow, or out of their type's range
		doc(integer, `01`), doc(integer, `+1`), doc(`{"t":"double"}`, `1e400`), doc(integer, `3000000000`),
		doc(`{"t":"bool"}`, `truex`), doc(integer, `1} x`),
		// null whatever the schema; empty documents and arrays; schemas FerretDB refuses
		doc(`{"t":"long"}`, `null`), doc(`{"t":"object","$s":{}}`, `{}`), doc(`{"t":"array","i":[]}`, `[]`),
		doc(`{"t":"array"}`, `[]`), doc(`{"t":"int","x":1}`, `1`),
		// properties in another order than their keys: Unmarshal reads it, fastUnmarshal leaves it to it
		[]byte(`{"$s":{"p":{"a":{"t":"int"},"_id":{"t":"int"}},"$k":["_id","a"]},"_id":1,"a":2}`),
		// a key twice, which Unmarshal refuses
		[]byte(`{"$s":{"p":{"_id":{"t":"int"},"_id":{"t":"int"}},"$k":["_id","_id"]},"_id":1,"_id":2}`),
		doc(`{"t":"object","$s":{"p":{"a":{"t":"int"},"a":{"t":"int"}},"$k":["a","a"]}}`, `{"a":1,"a":2}`),
	} {
		want, werr := ferretdbUnmarshal(data)
		got, ok := fastUnmarshal(data)

		if ok && (werr != nil || !reflect.DeepEqual(want, got)) {
			t.Errorf("%s: Unmarshal %v %v, fastUnmarshal %v", data, want, werr, got)
		}
	}

	for _, f := range []float64{math.NaN(), math.Inf(1)} {
		d := types.MakeDocument(1)
		d.Set("f", f)

		if _, ok := fastMarshal(d); ok {
			t.Errorf("fastMarshal wrote %v, which Marshal refuses", f)
		}
	}

	d := types.MakeDocument(2)
	d.Set("_id", "x")
	d.Set("b", types.Binary{B: nil})
	d.Set("s", "\x7f\xff\xfe not UTF-8 \u2028 <&>")
	want, _ := ferretdbMarshal(d)

	if got, _ := fastMarshal(d); !bytes.Equal(want, got) {
		t.Errorf("written differently:\n%s\n%s", want, got)
	}
}

// a Patient's current copy as nims stores it: search values and the resource as JSON text
func nimsPatientCopy() *types.Document {
	idx := types.MakeDocument(0)
	for _, k := range []string{"identifier", "name", "family", "given", "birthdate", "gender", "address-postalcode", "general-practitioner", "telecom"} {
		idx.Set(k, "https://fhir.nhs.uk/Id/nhs-number|9434765919")
	}

	d := types.MakeDocument(0)
	d.Set("_id", "0f0e1234-aaaa-bbbb-cccc-123456789012")
	d.Set("v", int32(1))
	d.Set("ts", "2026-12-07T20:00:00.000Z")
	d.Set("idx", idx)
	d.Set("res", `{"resourceType":"Patient","id":"0f0e","meta":{"versionId":"1"},"name":[{"family":"Smith","given":["Jo"]}],"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9434765919"}],"address":[{"line":["1 High Street"],"postalCode":"LS1 4AP"}],"birthDate":"1950-01-01"}`)

	return d
}

func BenchmarkNimsCodec(b *testing.B) {
	d := nimsPatientCopy()
	data, _ := ferretdbMarshal(d)

	for _, codec := range []struct {
		name string
		run  func()
	}{
		{"Marshal", func() { _, _ = ferretdbMarshal(d) }},
		{"fastMarshal", func() { _, _ = fastMarshal(d) }},
		{"Unmarshal", func() { _, _ = ferretdbUnmarshal(data) }},
		{"fastUnmarshal", func() { _, _ = fastUnmarshal(data) }},
	} {
		b.Run(codec.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				codec.run()
			}
		})
	}
}
