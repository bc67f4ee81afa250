// Package report makes a jurisdiction's periodic supervision report from
// the supervision index — the period's figures and lists (new
// authorizations, registrations, objections by outcome, late and overdue
// items) as HTML and as an XLSX workbook — and its summary, which the
// authority signs with its registered SM2 key and records on the ledger
// (RecordReport): the SM3 digest of each file is then notarized, and
// anyone holding the files checks them offline (Verify).
package report

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"dataledger/certs"
	"dataledger/chaincode/domain"
	"dataledger/index"
)

// File names of a report in its directory.
const (
	HTMLFile    = "report.html"
	XLSXFile    = "report.xlsx"
	SummaryFile = "report.json"       // the signed summary
	ProofFile   = "report.proof.json" // the proof bundle of its record
)

// Spec says which report to make.
type Spec struct {
	Channel      string
	DivisionCode string
	Jurisdiction string // its name, for the title
	Period       string // 2026Q4, 2026-11 or 2026
	Department   string // the issuing department, as its key is registered
	Now          time.Time
}

// Section is one list of the report.
type Section struct {
	Title string
	Sheet string // its sheet in the workbook
	Hits  []index.Hit
}

// Figure is one number of the report's summary.
type Figure struct {
	Label string
	Value int
}

// Content is a report's figures and lists, true at a block height.
type Content struct {
	Spec
	From, Until string
	Height      uint64
	Figures     []Figure
	Sections    []Section
	Generated   string // China time
}

// MaxRows bounds each list (the figures count everything).
const MaxRows = 5000

// Snapshotter is the index as a report reads it (*index.DB): every figure
// and list of a report comes from one snapshot, true at one height.
type Snapshotter interface {
	Snapshot(ctx context.Context, channel string, fn func(*index.Snapshot) error) error
}

// Build reads a period's figures (counted) and lists (at most MaxRows
// each) from one snapshot of the index. Overdue is judged on the period's
// last day, or today while the period runs, on the records as they stand
// at the snapshot's height; objection outcomes likewise.
func Build(ctx context.Context, db Snapshotter, s Spec) (*Content, error) {
	from, until, err := domain.ParsePeriod("period", s.Period)
	if err != nil {
		return nil, err
	}
	if s.Now.IsZero() {
		s.Now = time.Now()
	}
	c := &Content{Spec: s, From: from.Format(time.DateOnly), Until: until.Format(time.DateOnly), Generated: s.Now.In(domain.CST).Format("2006-01-02 15:04:05")}
	judged := until.AddDate(0, 0, 1)
	if s.Now.Before(judged) {
		judged = s.Now
	}
	in := func(kind string, flags ...string) index.Query {
		return index.Query{Channel: s.Channel, Kind: kind, Flags: flags, From: c.From, To: c.Until, Today: judged}
	}
	overdue := index.Query{Channel: s.Channel, Flags: []string{index.FlagOverdue}, Today: judged}
	sections := []struct {
		title, sheet, label string
		q                   index.Query
	}{
		{"本期新增授权（电子凭证）", "新增授权", "新增授权（电子凭证）", in("credential")},
		{"本期产品登记（登记证书）", "产品登记", "产品登记", in("certificate")},
		{"本期异议及处理结果", "异议", "异议", in("objection")},
		{"本期备案或办理逾期事项", "逾期办理", "逾期办理", in("", index.FlagLate)},
		{"期末超期未办事项（按生成时的记录）", "超期未办", "期末超期未办", overdue},
		{"本期视为同意事项（ZW 21）", "视为同意", "视为同意", in("application", index.FlagDeemed)},
	}
	err = db.Snapshot(ctx, s.Channel, func(snap *index.Snapshot) error {
		c.Height = snap.Height
		count := func(label string, q index.Query) error {
			n, err := snap.Count(ctx, q)
			c.Figures = append(c.Figures, Figure{label, n})
			return err
		}
		for _, sec := range sections {
			if err := count(sec.label, sec.q); err != nil {
				return err
			}
			if sec.sheet == "异议" {
				open := in("objection", index.FlagOpen)
				if err := count("异议：待处理", open); err != nil {
					return err
				}
				for _, o := range outcomeNames {
					q := in("objection")
					q.Outcome = o[0]
					if err := count("异议："+o[1], q); err != nil {
						return err
					}
				}
			}
			list := Section{Title: sec.title, Sheet: sec.sheet}
			q := sec.q
			q.Limit, q.Sort, q.Asc = 500, "recorded", true
			for len(list.Hits) < MaxRows {
				p, err := snap.Search(ctx, q)
				if err != nil {
					return err
				}
				list.Hits = append(list.Hits, p.Items...)
				if q.Cursor = p.Next; q.Cursor == "" {
					break
				}
			}
			c.Sections = append(c.Sections, list)
		}
		return nil
	})
	return c, err
}

// outcomeNames are objection outcomes with their Chinese names, in the
// order reports list them.
var outcomeNames = [][2]string{
	{domain.OutcomeDismissed, "驳回"}, {domain.OutcomeAuthorizationChanged, "变更授权"},
	{domain.OutcomeRegistrationRevoked, "撤销登记"}, {domain.OutcomeDataDestructionOrdered, "责令销毁数据"},
}

// Title is the report's title.
func (c *Content) Title() string {
	return fmt.Sprintf("%s公共数据资源授权运营监管报告（%s）", c.Jurisdiction, periodZh(c.Period))
}

func periodZh(p string) string {
	from, until, err := domain.ParsePeriod("period", p)
	if err != nil {
		return p
	}
	switch {
	case until.Sub(from) > 100*24*time.Hour:
		return fmt.Sprintf("%d年度", from.Year())
	case until.Sub(from) > 40*24*time.Hour:
		return fmt.Sprintf("%d年第%s季度", from.Year(), []string{"一", "二", "三", "四"}[(int(from.Month())-1)/3])
	}
	return fmt.Sprintf("%d年%d月", from.Year(), from.Month())
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"kind": func(k string) string {
		return map[string]string{"credential": "电子凭证", "certificate": "登记证书", "agreement": "协议", "application": "申请",
			"objection": "异议", "party": "主体", "issuerKey": "签发密钥", "egress": "出域核验", "ack": "交易场所回执", "report": "监管报告", "obligation": "履职事项", "creditRecord": "信用档案", "evaluation": "评估评价", "selection": "运营机构选定", "plan": "实施方案"}[k]
	},
	"beijing": func(t time.Time) string { return t.In(domain.CST).Format("2006-01-02 15:04") },
	"join":    strings.Join,
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:60rem;color:#1d2733}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border:1px solid #cbd2d9;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f0f3f7}
.meta{color:#52606d;font-size:.85rem}.mono{font-family:monospace;font-size:.8rem}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="meta">报告期 {{.From}} 至 {{.Until}}（北京时间） · 辖区 {{.DivisionCode}} · 账本通道 {{.Channel}} · 数据截至区块高度 {{.Height}} · 生成于 {{.Generated}}</p>
<h2>一、概要</h2>
<table><tr><th>事项</th><th>数量</th></tr>{{range .Figures}}<tr><td>{{.Label}}</td><td>{{.Value}}</td></tr>{{end}}</table>
{{range $i, $s := .Sections}}<h2>{{$s.Title}}（{{len $s.Hits}}）</h2>
{{if $s.Hits}}<table><tr><th>类型</th><th>编号</th><th>名称</th><th>主体</th><th>状态</th><th>上链时间</th><th>交易</th></tr>
{{range $s.Hits}}<tr><td>{{kind .Kind}}</td><td class="mono">{{.ID}}</td><td>{{.Title}}</td><td class="mono">{{join .Parties ";"}}</td><td>{{.Status}}{{if .Outcome}} · {{.Outcome}}{{end}}{{if .Due}} · 期限 {{.Due}}{{end}}</td><td>{{beijing .Recorded}}</td><td class="mono">{{.TxID}}</td></tr>
{{end}}</table>{{else}}<p class="meta">无。</p>{{end}}{{end}}
<h2>说明</h2>
<p class="meta">本报告由监管索引生成：索引中的每个区块在写入前均已核验前一区块哈希、数据哈希与排序节点签名。本报告各文件的 SM3 摘要列于报告摘要（report.json），该摘要由发布部门以登记在账本上的 SM2 密钥签名，并已记录于账本；持有本报告者可用 dataledger report verify 离线核验。</p>
</body></html>
`))

// WriteHTML writes the report as one HTML page.
func (c *Content) WriteHTML(path string) error {
	var b bytes.Buffer
	if err := page.Execute(&b, c); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// WriteXLSX writes the report as a workbook: the summary, then a sheet
// per list.
func (c *Content) WriteXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const summary = "概要"
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return err
	}
	rows := [][]any{{c.Title()}, {"报告期", c.From + " 至 " + c.Until}, {"辖区", c.DivisionCode}, {"账本通道", c.Channel},
		{"数据截至区块高度", c.Height}, {"生成时间（北京时间）", c.Generated}, {}}
	for _, fg := range c.Figures {
		rows = append(rows, []any{fg.Label, fg.Value})
	}
	for i, r := range rows {
		if err := f.SetSheetRow(summary, "A"+strconv.Itoa(i+1), &r); err != nil {
			return err
		}
	}
	for _, s := range c.Sections {
		if _, err := f.NewSheet(s.Sheet); err != nil {
			return err
		}
		head := []any{"类型", "编号", "名称", "主体", "状态", "结果", "期限", "上链时间", "区块", "交易"}
		if err := f.SetSheetRow(s.Sheet, "A1", &head); err != nil {
			return err
		}
		for i, h := range s.Hits {
			row := []any{h.Kind, h.ID, h.Title, strings.Join(h.Parties, ";"), h.Status, h.Outcome, h.Due, h.Recorded.In(domain.CST).Format("2006-01-02 15:04:05"), h.Block, h.TxID}
			if err := f.SetSheetRow(s.Sheet, "A"+strconv.Itoa(i+2), &row); err != nil {
				return err
			}
		}
	}
	return f.SaveAs(path)
}

// Write makes the report's files in dir and its summary, signed with key
// (whose ID the ledger's registry knows) under a fresh report number.
func (c *Content) Write(dir string, key *certs.PrivateKey) (*domain.SupervisionReport, []byte, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	if err := c.WriteHTML(filepath.Join(dir, HTMLFile)); err != nil {
		return nil, nil, err
	}
	if err := c.WriteXLSX(filepath.Join(dir, XLSXFile)); err != nil {
		return nil, nil, err
	}
	n, err := domain.NewNumber(domain.PrefixReport, c.DivisionCode, c.Spec.Now.In(domain.CST).Year(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	doc := &domain.SupervisionReport{Type: domain.DocTypeReport, ReportNumber: n.String(), Title: c.Title(), DivisionCode: c.DivisionCode,
		Channel: c.Channel, Period: c.Period, From: c.From, Until: c.Until, IndexHeight: c.Height, IssuingDepartment: c.Department,
		IssueDate: c.Spec.Now.In(domain.CST).Format(time.DateOnly), IssuerKeyID: key.Public().KeyID()}
	for _, name := range []string{HTMLFile, XLSXFile} {
		f, err := fileDigest(filepath.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		doc.Files = append(doc.Files, f)
	}
	if err := doc.Validate(); err != nil {
		return nil, nil, err
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, nil, err
	}
	signed, err := certs.Sign(raw, key, nil)
	if err != nil {
		return nil, nil, err
	}
	return doc, signed, os.WriteFile(filepath.Join(dir, SummaryFile), signed, 0o644)
}

func fileDigest(path string) (domain.ReportFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return domain.ReportFile{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return domain.ReportFile{}, err
	}
	sum, err := certs.SM3Reader(f)
	return domain.ReportFile{Name: filepath.Base(path), SM3: sum, Bytes: st.Size()}, err
}
