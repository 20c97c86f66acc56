package event

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/driftwatch/driftwatch/collectors"
)

func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name    string
		cfg     func() collectors.ModelConfig // smallConfig when nil
		kind    Kind                          // KindPrediction when empty
		header  []string
		want    []string // the path each column feeds, "" for none
		wantErr string
	}{
		{
			name:   "columns named by dotted paths",
			header: []string{"id", "timestamp", "features.age", "features.plan", "geo.city", "prediction", "score", "other"},
			want:   []string{"id", "timestamp", "features.age", "features.plan", "geo.city", "prediction", "score", ""},
		},
		{
			name:   "features named by name alone, after a byte order mark",
			header: []string{"\ufeffid", "age", "plan", "city", "score"},
			want:   []string{"id", "features.age", "features.plan", "geo.city", "score"},
		},
		{
			name:   "a full path wins over the bare name",
			header: []string{"id", "age", "features.age", "prediction"},
			want:   []string{"id", "", "features.age", "prediction"},
		},
		{
			name:   "a label file",
			kind:   KindLabel,
			header: []string{"id", "label", "prediction"},
			want:   []string{"id", "label", ""},
		},
		{name: "two columns for one field", header: []string{"id", "id", "prediction"}, wantErr: `columns "id" and "id" both give the id`},
		{name: "no id column with labels enabled", header: []string{"prediction"}, wantErr: `no column for the id (want a column named "id")`},
		{name: "no prediction or score column", header: []string{"id", "age"}, wantErr: "no column for the prediction or the score"},
		{name: "no prediction column in a regression", cfg: regressionConfig, header: []string{"id", "score"}, wantErr: "no column for the prediction"},
		{name: "no label column", kind: KindLabel, header: []string{"id", "prediction"}, wantErr: "no column for the label"},
		{name: "an unknown kind", kind: "metrics", header: []string{"id"}, wantErr: `unknown event kind "metrics"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig
			if tt.cfg != nil {
				cfg = tt.cfg
			}
			c, err := newTestDecoder(t, cfg()).CSV(cmpOr(tt.kind, KindPrediction), tt.header)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, col := range c.columns {
				got = append(got, col.path)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVDecode(t *testing.T) {
	header := []string{"id", "model", "timestamp", "age", "plan", "geo.city", "prediction", "score"}
	tests := []struct {
		name   string
		cfg    func() collectors.ModelConfig // smallConfig when nil
		record string                        // cells separated by '|'
		want   func(v *view)
		reason Reason
		path   string
	}{
		{
			name:   "a full row",
			record: "p-1|churn|2026-03-14T09:26:53Z|42|premium|oslo|churn|0.87",
			want: func(v *view) {
				v.ID, v.Model, v.Time, v.TimeFromEvent = "p-1", "churn", at("2026-03-14T09:26:53Z"), true
				v.Features = []valueView{num(42), text("premium"), text("oslo")}
				v.Prediction, v.Score, v.HasScore = text("churn"), scoreBits(0.87), true
			},
		},
		{
			name:   "empty cells are absent and text is verbatim",
			record: "p-1||| | 7.0 ||stay|",
			want: func(v *view) {
				v.ID, v.Prediction = "p-1", text("stay")
				v.Features[1] = text(" 7.0 ")
			},
		},
		{
			name:   "numbers may have blanks, signs and bare points",
			record: "p-1||1710408413589| +.5\t|||stay| 1. ",
			want: func(v *view) {
				v.ID, v.Prediction, v.Score, v.HasScore = "p-1", text("stay"), scoreBits(1), true
				v.Time, v.TimeFromEvent = time.UnixMilli(1710408413589).UTC(), true
				v.Features[0] = num(0.5)
			},
		},
		{
			name:   "a numeric feature keeps NaN",
			record: "p-1|||nan|||stay|",
			want: func(v *view) {
				v.ID, v.Prediction = "p-1", text("stay")
				v.Features[0] = num(math.NaN())
			},
		},
		{
			name:   "a numeric feature keeps infinities",
			record: "p-1|||-Infinity|||stay|",
			want: func(v *view) {
				v.ID, v.Prediction = "p-1", text("stay")
				v.Features[0] = num(math.Inf(-1))
			},
		},
		{
			name:   "a score alone derives the class",
			record: "p-1||||||| 0.2",
			want: func(v *view) {
				v.ID, v.Score, v.HasScore = "p-1", scoreBits(0.2), true
				v.Prediction, v.PredictionFromScore = text("stay"), true
			},
		},
		{name: "a cell that is not a number", record: "p-1|||forty|||stay|", reason: ReasonInvalidNumber, path: "features.age"},
		{name: "a hexadecimal number", record: "p-1|||0x10|||stay|", reason: ReasonInvalidNumber, path: "features.age"},
		{name: "an overflowing number", record: "p-1|||1e400|||stay|", reason: ReasonInvalidNumber, path: "features.age"},
		{name: "an infinite regression output", cfg: regressionConfig, record: "p-1||||||inf|", reason: ReasonInvalidNumber, path: "prediction"},
		{name: "a NaN score", record: "p-1|||||||NaN", reason: ReasonScoreOutOfRange, path: "score"},
		{name: "a score above 1", record: "p-1||||||stay|1.01", reason: ReasonScoreOutOfRange, path: "score"},
		{name: "another model", record: "p-1|fraud|||||stay|", reason: ReasonUnknownModel, path: "model"},
		{name: "an unknown class", record: "p-1||||||Stay|", reason: ReasonUnknownClass, path: "prediction"},
		{name: "a timestamp that is neither", record: "p-1||yesterday||||stay|", reason: ReasonInvalidTimestamp, path: "timestamp"},
		{name: "a Unix time with blanks", record: "p-1||17104084 13||||stay|", reason: ReasonInvalidTimestamp, path: "timestamp"},
		{name: "an overflowing Unix time", record: "p-1||1e400||||stay|", reason: ReasonInvalidNumber, path: "timestamp"},
		{name: "no id", record: "||||||stay|", reason: ReasonMissingField, path: "id"},
		{name: "too few cells", record: "p-1|churn", reason: ReasonMalformedCSV},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig
			if tt.cfg != nil {
				cfg = tt.cfg
			}
			c, err := newTestDecoder(t, cfg()).CSV(KindPrediction, header)
			require.NoError(t, err)
			record := strings.Split(tt.record, "|")
			var byteRecord [][]byte
			for _, cell := range record {
				byteRecord = append(byteRecord, []byte(cell))
			}
			var ev, evBytes Event
			err = c.Decode(&ev, record, kafkaTime)
			errBytes := c.DecodeBytes(&evBytes, byteRecord, kafkaTime)
			if tt.reason != "" {
				require.Equal(t, tt.reason, ReasonOf(err), "%v", err)
				require.Equal(t, tt.reason, ReasonOf(errBytes), "%v", errBytes)
				var e *Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, tt.path, e.Path)
				return
			}
			require.NoError(t, err)
			require.NoError(t, errBytes)
			want := emptyView()
			tt.want(&want)
			want.Features = want.Features[:len(cfg().Features)]
			if diff := cmp.Diff(want, viewOf(&ev)); diff != "" {
				t.Errorf("Decode (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, viewOf(&evBytes)); diff != "" {
				t.Errorf("DecodeBytes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCSVDecodeDoesNotAllocate(t *testing.T) {
	c, err := newTestDecoder(t, smallConfig()).CSV(KindPrediction, []string{"id", "timestamp", "age", "plan", "prediction", "score"})
	require.NoError(t, err)
	record := []string{"p-1", "2026-03-14T09:26:53Z", "3312.6000000000004", "premium", "churn", "0.87"}
	var ev Event
	require.NoError(t, c.Decode(&ev, record, kafkaTime)) // grows the buffer
	allocs := testing.AllocsPerRun(100, func() {
		require.NoError(t, c.Decode(&ev, record, kafkaTime))
	})
	require.Zero(t, allocs)
}

// FuzzDecodeCSV checks that no record panics, and that Decode and
// DecodeBytes agree.
func FuzzDecodeCSV(f *testing.F) {
	for _, s := range []string{"p|churn|2026-03-14T09:26:53Z|42|x|y|churn|0.5", "||||||", "a|b|-|.|e|E|+|-", "1|1|1e1|1e|NaN|inf|1|1"} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(1))
	}
	header := []string{"id", "model", "timestamp", "age", "plan", "geo.city", "prediction", "score"}
	var decoders []*CSVDecoder
	for _, cfg := range []collectors.ModelConfig{smallConfig(), regressionConfig()} {
		c, err := newTestDecoder(f, cfg).CSV(KindPrediction, header)
		require.NoError(f, err)
		decoders = append(decoders, c)
	}
	f.Fuzz(func(t *testing.T, row string, sel uint8) {
		c := decoders[int(sel)%len(decoders)]
		record := strings.Split(row, "|")
		var byteRecord [][]byte
		for _, cell := range record {
			byteRecord = append(byteRecord, []byte(cell))
		}
		var ev, evBytes Event
		err := c.Decode(&ev, record, kafkaTime)
		errBytes := c.DecodeBytes(&evBytes, byteRecord, kafkaTime)
		require.Equal(t, ReasonOf(err), ReasonOf(errBytes))
		if err == nil {
			if diff := cmp.Diff(viewOf(&ev), viewOf(&evBytes)); diff != "" {
				t.Fatalf("Decode and DecodeBytes (-Decode +DecodeBytes):\n%s", diff)
			}
		} else {
			require.NotEmpty(t, ReasonOf(err), "%v", err)
		}
	})
}
