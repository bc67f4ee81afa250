package index

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"dataledger/chaincode/domain"

	"github.com/jackc/pgx/v5"
	"github.com/xuri/excelize/v2"
)

// Export formats.
const (
	CSV  = "csv"  // UTF-8 with a byte-order mark, so Excel reads Chinese
	XLSX = "xlsx" // a workbook: the records, then the query and height
)

// ExportColumns head every export, in Chinese and English.
var ExportColumns = []string{"类型 kind", "编号 id", "状态 status", "结果 outcome", "区划 division", "主体 parties", "名称 title", "日期 date",
	"逾期办理 late", "待办 open", "视为同意 deemed", "超期 overdue", "期限 due", "版本数 versions", "上链时间 recorded", "最近变更 changed",
	"区块 block", "交易 txId", "证明 proof"}

// ProofPath is the gateway path of a record's proof bundle ("" for a kind
// without one).
func ProofPath(kind, id string) string {
	if k, ok := KindNamed(kind); ok {
		if n, numbered := domain.NumberedByRecordType(k.RecordType); numbered {
			return "/api/v1/" + n.Name + "s/" + id + "/proof"
		}
	}
	return ""
}

func (h *Hit) cells() []string {
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return ""
	}
	return []string{h.Kind, h.ID, h.Status, h.Outcome, h.Division, strings.Join(h.Parties, ";"), h.Title, h.Date,
		yes(h.Late), yes(h.Open), yes(h.Deemed), yes(h.Overdue), h.Due, strconv.Itoa(h.Versions),
		h.Recorded.In(domain.CST).Format("2006-01-02 15:04:05"), h.Changed.In(domain.CST).Format("2006-01-02 15:04:05"),
		strconv.FormatUint(h.Block, 10), h.TxID, ProofPath(h.Kind, h.ID)}
}

// Exported is what an export wrote.
type Exported struct {
	Rows   int    `json:"rows"`
	Height uint64 `json:"height"`
}

// Export writes every record a query finds (no page limit; the query's
// cursor and limit are ignored) to w as CSV or XLSX, from one snapshot:
// the height and the query head the file. Rows are not held in memory:
// CSV goes out as read, and its last line counts the rows; excelize's
// stream writer spills a workbook's rows to a temporary file, and only the
// compressed workbook is assembled in memory before it goes out (at most
// MaxXLSXRows rows).
func (d *DB) Export(ctx context.Context, q Query, format string, w io.Writer) (*Exported, error) {
	if format != CSV && format != XLSX {
		return nil, bad("format", "%q is not csv or xlsx", format)
	}
	q.Cursor, q.Limit = "", 0
	if _, err := q.build(); err != nil { // refused before the snapshot
		return nil, err
	}
	queryJSON, _ := json.Marshal(q)
	out := &Exported{}
	err := d.Snapshot(ctx, q.Channel, func(s *Snapshot) error {
		out.Height = s.Height
		if err := s.resolveParty(ctx, &q); err != nil {
			return err
		}
		b, err := q.build()
		if err != nil {
			return err
		}
		if b.narrow, err = s.narrows(ctx, &q); err != nil {
			return err
		}
		head := []string{"dataledger 监管检索导出 supervision export", "channel " + q.Channel, "height " + strconv.FormatUint(s.Height, 10),
			"exported " + time.Now().In(domain.CST).Format(time.RFC3339), "query " + string(queryJSON)}
		sql, args := b.selectSQL(q.Today, "", false) // an export's rows carry no record
		rows, err := s.tx.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		if format == CSV {
			return exportCSV(w, head, rows, out)
		}
		return exportXLSX(w, head, rows, out)
	})
	return out, err
}

// inert keeps a spreadsheet from reading a cell as a formula: text
// anyone may have written (an objection's summary) that starts with = + -
// @, a tab or a carriage return gets a leading apostrophe, as spreadsheets
// themselves mark literal text.
func inert(cells []string) []string {
	for i, c := range cells {
		if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			cells[i] = "'" + c
		}
	}
	return cells
}

func exportCSV(w io.Writer, head []string, rows pgx.Rows, out *Exported) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	err := scanHits(rows, func(h Hit, _ string) error {
		out.Rows++
		return cw.Write(inert(h.cells()))
	})
	if err != nil {
		return err
	}
	// The last line says the export is whole: a file cut short lacks it.
	if err := cw.Write([]string{EndOfExport, strconv.Itoa(out.Rows)}); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// EndOfExport heads a CSV export's last line, which counts its rows.
const EndOfExport = "导出结束 end of export, rows:"

// MaxXLSXRows bounds a workbook (a sheet holds 1,048,576 rows): a larger
// search is exported as CSV.
const MaxXLSXRows = 1_000_000

func exportXLSX(w io.Writer, head []string, rows pgx.Rows, out *Exported) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "记录 records"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	row := func(n int, cells []string) error {
		vals := make([]any, len(cells))
		for i, c := range cells {
			vals[i] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	}
	if err := row(1, ExportColumns); err != nil {
		return err
	}
	if err := scanHits(rows, func(h Hit, _ string) error {
		if out.Rows == MaxXLSXRows {
			return bad("format", "the search finds more than %d records, more than a workbook holds: export it as csv, or narrow it", MaxXLSXRows)
		}
		out.Rows++
		return row(out.Rows+1, h.cells())
	}); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	const about = "查询 query"
	if _, err := f.NewSheet(about); err != nil {
		return err
	}
	for i, h := range head {
		k, v, _ := strings.Cut(h, " ")
		if i == 0 {
			k, v = "export", h
		}
		if err := f.SetSheetRow(about, fmt.Sprintf("A%d", i+1), &[]any{k, v}); err != nil {
			return err
		}
	}
	_, err = f.WriteTo(w)
	return err
}
