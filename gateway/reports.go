package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gin-gonic/gin"

	"dataledger/chaincode/domain"
	"dataledger/network"
	"dataledger/report"
)

// ReportRequest asks the gateway to make a period's supervision report
// from the index, sign it with the authority's issuer key it holds and
// record it on the channel.
type ReportRequest struct {
	Period     string `json:"period"`     // 2026Q4, 2026-11 or 2026
	Department string `json:"department"` // the issuing department, as the key is registered
}

// ReportAnswer is a recorded report: its signed summary, the record's
// commit, and where its files are.
type ReportAnswer struct {
	WriteResponse
	Summary json.RawMessage  `json:"summary"`
	Files   []ReportFileLink `json:"files"`
	Proof   string           `json:"proof"`
}

// ReportFileLink is one file of a report and where to fetch it.
type ReportFileLink struct {
	domain.ReportFile
	URL string `json:"url"`
}

// reportFiles are the files a report directory serves.
var reportFiles = map[string]string{
	report.HTMLFile:    "text/html; charset=utf-8",
	report.XLSXFile:    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	report.SummaryFile: "application/json",
}

// generateReport makes, signs and records a period's report (an
// authority, for its own channel).
func (s *Server) generateReport(c *gin.Context) {
	ix, channel, ok := s.supervised(c)
	if !ok {
		return
	}
	who := identity(c)
	key, ok := s.issuerKey(c, who.Org, "make the report with dataledger report")
	if !ok {
		return
	}
	if s.cfg.ReportDir == "" {
		abort(c, fail(http.StatusServiceUnavailable, "this gateway keeps no report files (no state directory)"))
		return
	}
	var req ReportRequest
	if !decodeBody(c, &req) {
		return
	}
	if _, _, err := domain.ParsePeriod("period", req.Period); err != nil {
		abort(c, err)
		return
	}
	ctx, cancel := s.longRequest(c)
	defer cancel()
	inv := invoker{ctx, s.ledger, who}
	j, err := network.Tx.GetJurisdiction().Evaluate(inv, channel)
	if err != nil {
		abort(c, err)
		return
	}
	content, err := report.Build(ctx, ix, report.Spec{Channel: channel, DivisionCode: j.DivisionCode, Jurisdiction: j.Name,
		Period: req.Period, Department: req.Department, Now: time.Now()})
	if err != nil {
		s.indexAbort(c, err)
		return
	}
	sweepReportDir(s.cfg.ReportDir)
	tmp, err := os.MkdirTemp(s.cfg.ReportDir, ".new-")
	if err != nil {
		abort(c, err)
		return
	}
	doc, signed, err := content.Write(tmp, key)
	if err != nil {
		os.RemoveAll(tmp)
		abort(c, err)
		return
	}
	// The files are in place before the ledger holds their digests: a
	// submit that times out may still commit, and its files must exist.
	dir := filepath.Join(s.cfg.ReportDir, doc.ReportNumber)
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		abort(c, err)
		return
	}
	res, err := network.Tx.RecordReport(signed).SubmitRaw(inv, channel)
	if err != nil {
		if _, refused := domain.AsRule(err); refused { // the ledger said no: no report
			os.RemoveAll(dir)
		}
		abort(c, err)
		return
	}
	out := ReportAnswer{WriteResponse: written(res), Summary: signed, Proof: "/api/v1/reports/" + doc.ReportNumber + "/proof"}
	for _, f := range doc.Files {
		out.Files = append(out.Files, ReportFileLink{f, "/api/v1/reports/" + doc.ReportNumber + "/files/" + f.Name})
	}
	c.JSON(http.StatusCreated, out)
}

// reportFile serves a file of a report this gateway made, to the
// regulators and authorities on the report's channel.
func (s *Server) reportFile(c *gin.Context) {
	number, name := c.Param("number"), c.Param("name")
	channel, _, err := s.channelOfNumber(number, domain.PrefixReport)
	if err != nil {
		abort(c, err)
		return
	}
	if err := s.mayRead(c, channel); err != nil {
		abort(c, err)
		return
	}
	media, ok := reportFiles[name]
	if !ok || s.cfg.ReportDir == "" {
		abort(c, fail(http.StatusNotFound, fmt.Sprintf("no file %q of a report here (%s, %s or %s)", name, report.HTMLFile, report.XLSXFile, report.SummaryFile)))
		return
	}
	b, err := os.ReadFile(filepath.Join(s.cfg.ReportDir, number, name))
	if err != nil {
		abort(c, fail(http.StatusNotFound, "this gateway did not make report "+number+" (its files are where it was made)"))
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s"`, number, name))
	c.Data(http.StatusOK, media, b)
}

// sweepReportDir removes what a report that never got its number left
// (a crash between writing and naming its files), after an hour.
func sweepReportDir(dir string) {
	old, _ := filepath.Glob(filepath.Join(dir, ".new-*"))
	for _, d := range old {
		if st, err := os.Stat(d); err == nil && time.Since(st.ModTime()) > time.Hour {
			os.RemoveAll(d)
		}
	}
}
