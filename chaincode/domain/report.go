package domain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// PrefixReport numbers periodic supervision reports (监管报告).
const PrefixReport = "BG"

// DocTypeReport is a periodic supervision report as its authority signs
// it: the period, the block height its figures are true at and the SM3
// digest of each file (the HTML report, the workbook of its lists).
const DocTypeReport = "dataledger.supervisionReport.v1"

// Report rule codes.
const (
	RuleReport       = "DL-REPORT"        // a report that does not describe its period or files
	RuleReportUnique = "DL-REPORT-UNIQUE" // a report number recorded twice
	RuleReportExists = "DL-REPORT-EXISTS"
)

// ReportFile is one file of a report with its SM3 digest.
type ReportFile struct {
	Name  string `json:"name"`
	SM3   string `json:"sm3"`
	Bytes int64  `json:"bytes"`
}

// SupervisionReport is the signed summary of a periodic supervision
// report: what it covers and the digest of every file it consists of.
type SupervisionReport struct {
	Type              string          `json:"docType"`
	ReportNumber      string          `json:"reportNumber"`      // 报告编号
	Title             string          `json:"title"`             // 报告名称
	DivisionCode      string          `json:"divisionCode"`      // 行政区划
	Channel           string          `json:"channel"`           // 账本通道
	Period            string          `json:"period"`            // 2026Q4, 2026-11 or 2026
	From              string          `json:"from"`              // first day, inclusive
	Until             string          `json:"until"`             // last day, inclusive
	IndexHeight       uint64          `json:"indexHeight"`       // the figures are true at this block height
	Files             []ReportFile    `json:"files"`             // every file of the report, with its SM3
	IssuingDepartment string          `json:"issuingDepartment"` // 发布部门
	IssueDate         string          `json:"issueDate"`
	IssuerKeyID       string          `json:"issuerKeyId"`
	Signature         json.RawMessage `json:"signature,omitempty"`
}

func (r *SupervisionReport) DocType() string { return DocTypeReport }

var (
	periodPattern   = regexp.MustCompile(`^(\d{4})(?:Q([1-4])|-(0[1-9]|1[0-2]))?$`)
	fileNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)
)

// ParsePeriod reads a report period: a year (2026), a quarter (2026Q4) or
// a month (2026-11), as its first and last day (China dates).
func ParsePeriod(field, s string) (from, until time.Time, err error) {
	m := periodPattern.FindStringSubmatch(s)
	if m == nil {
		return from, until, Invalid(RuleReport, field, "%q is not a year (2026), a quarter (2026Q4) or a month (2026-11)", truncate(s, 16))
	}
	year, _ := strconv.Atoi(m[1])
	first, months := 1, 12
	switch {
	case m[2] != "":
		q, _ := strconv.Atoi(m[2])
		first, months = 3*q-2, 3
	case m[3] != "":
		first, _ = strconv.Atoi(m[3])
		months = 1
	}
	from = time.Date(year, time.Month(first), 1, 0, 0, 0, 0, CST)
	return from, from.AddDate(0, months, -1), nil
}

// Validate checks every field of a report.
func (r *SupervisionReport) Validate() error {
	v := validator{}
	v.equal("docType", r.Type, DocTypeReport)
	v.number("reportNumber", r.ReportNumber, PrefixReport)
	v.text("title", r.Title, maxName)
	v.division("divisionCode", r.DivisionCode)
	v.pattern("channel", r.Channel, channelPattern, "a Fabric channel name")
	from, until, err := ParsePeriod("period", r.Period)
	if err != nil {
		v.rule(err)
	}
	if v.err == nil && (r.From != from.Format(time.DateOnly) || r.Until != until.Format(time.DateOnly)) {
		v.rule(Invalid(RuleReport, "from", "period %s runs %s to %s, not %s to %s", r.Period, from.Format(time.DateOnly), until.Format(time.DateOnly), r.From, r.Until))
	}
	if v.err == nil && (len(r.Files) == 0 || len(r.Files) > 10) {
		v.rule(Invalid(RuleReport, "files", "a report has 1 to 10 files, not %d", len(r.Files)))
	}
	seen := map[string]bool{}
	for i, f := range r.Files {
		v.pattern(fmt.Sprintf("files[%d].name", i), f.Name, fileNamePattern, "a file name of letters, digits, '.', '_' and '-'")
		v.pattern(fmt.Sprintf("files[%d].sm3", i), f.SM3, digestPattern, "64 lowercase hex characters (SM3)")
		switch {
		case v.err != nil:
		case seen[f.Name]:
			v.rule(Invalid(RuleReport, fmt.Sprintf("files[%d].name", i), "%s is named twice", f.Name))
		case f.Bytes <= 0:
			v.rule(Invalid(RuleReport, fmt.Sprintf("files[%d].bytes", i), "a file of a report is not empty"))
		}
		seen[f.Name] = true
	}
	v.text("issuingDepartment", r.IssuingDepartment, maxName)
	v.date("issueDate", r.IssueDate)
	v.pattern("issuerKeyId", r.IssuerKeyID, digestPattern, "64 lowercase hex characters (SM3 of the key)")
	return v.err
}

// Fields lists the report's fields with their Chinese labels.
func (r *SupervisionReport) Fields() []Field {
	files := make([]string, len(r.Files))
	for i, f := range r.Files {
		files[i] = f.Name + " (SM3 " + f.SM3 + ")"
	}
	return []Field{
		{"reportNumber", "报告编号", r.ReportNumber},
		{"title", "报告名称", r.Title},
		{"divisionCode", "行政区划代码", r.DivisionCode},
		{"channel", "账本通道", r.Channel},
		{"period", "报告期", r.Period + "（" + r.From + " 至 " + r.Until + "）"},
		{"indexHeight", "数据截至区块高度", strconv.FormatUint(r.IndexHeight, 10)},
		{"files", "报告文件", strings.Join(files, "; ")},
		{"issuingDepartment", "发布部门", r.IssuingDepartment},
		{"issueDate", "发布日期", r.IssueDate},
		{"issuerKeyId", "签名密钥标识", r.IssuerKeyID},
	}
}

// ReportRecord is the ledger record of a supervision report: its signed
// summary, whose file digests notarize the report.
type ReportRecord struct {
	Number       string          `json:"number"`
	Document     json.RawMessage `json:"document"` // canonical signed JSON
	IssuerKeyID  string          `json:"issuerKeyId"`
	Period       string          `json:"period"`
	DivisionCode string          `json:"divisionCode"`
	Recorded     Change          `json:"recorded"`
	Last         Change          `json:"last"`
	Version      int             `json:"version"`
}

// ReportInput is what RecordReport decides on.
type ReportInput struct {
	Doc       *SupervisionReport
	Canonical []byte
	Key       *IssuerKey // the registered key the document names (nil: none)
	Existing  *ReportRecord
}

// RecordReport records a supervision report signed by the jurisdiction's
// authority with a registered key: on the channel and in the
// jurisdiction it names, for a period that has begun, under a number of
// the jurisdiction not used before. A corrected report is a new report
// under a new number; the earlier one stays.
func RecordReport(j *Jurisdiction, in ReportInput, now time.Time, c Change) (*ReportRecord, error) {
	d := in.Doc
	if in.Existing != nil {
		return nil, Conflict(RuleReportUnique, "reportNumber", "report %s is already recorded (a corrected report takes a new number)", d.ReportNumber)
	}
	if d.Channel != j.Channel {
		return nil, Forbidden(RuleCredentialChannel, "channel", "the report names channel %q and cannot be recorded on %s", d.Channel, j.Channel)
	}
	if d.DivisionCode != j.DivisionCode {
		return nil, Forbidden(RuleCredentialDivision, "divisionCode", "the report covers %s; channel %s is %s (%s)", d.DivisionCode, j.Channel, j.DivisionCode, j.Name)
	}
	if n, err := ParseNumber("reportNumber", d.ReportNumber, PrefixReport); err != nil {
		return nil, err
	} else if n.Division != j.DivisionCode {
		return nil, Forbidden(RuleCredentialDivision, "reportNumber", "number %s is of division %s, not %s", d.ReportNumber, n.Division, j.DivisionCode)
	}
	if today := DateOf(now).Format(time.DateOnly); d.From > today {
		return nil, Invalid(RuleReport, "period", "period %s has not begun (today is %s)", d.Period, today)
	}
	if err := in.Key.CanSign(j, d.IssuerKeyID, d.IssuingDepartment, now); err != nil {
		return nil, err
	}
	return &ReportRecord{Number: d.ReportNumber, Document: in.Canonical, IssuerKeyID: d.IssuerKeyID, Period: d.Period,
		DivisionCode: d.DivisionCode, Recorded: c, Last: c, Version: 1}, nil
}
