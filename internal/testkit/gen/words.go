package gen

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
)

// Everything in words/ is fictional: companies, people, addresses, phone
// numbers and tax ids are made up, in the style of the project's example
// QMS. The generator picks from these lists by position, so reordering a
// file changes every generated repository.
//
//go:embed words
var wordFiles embed.FS

var (
	firstNames      = phrases("first-names.txt")
	lastNames       = phrases("last-names.txt")
	areaCodes       = numbers("area-codes.txt")
	trainings       = phrases("trainings.txt")
	supplierWords   = phrases("supplier-words.txt")
	evidence        = phrases("evidence.txt")
	summaryExtras   = phrases("summary-extras.txt")
	rcaExtras       = phrases("rca-extras.txt")
	lessonExtras    = phrases("lesson-extras.txt")
	actionNotes     = phrases("action-notes.txt")
	testIncidents   = phrases("test-incidents.txt")
	testDeviations  = phrases("test-deviations.txt")
	recommendations = phrases("recommendations.txt")

	positions      = byName("positions.txt")
	duties         = byName("duties.txt")
	remedies       = byName("remedies.txt") // the remedy steps of each incident level
	timelineEvents = byName("timeline.txt")
	testResources  = byName("test-resources.txt")
	testSteps      = byName("test-steps.txt")

	companies  = readCompanies()
	countries  = readCountries()
	categories = readCategories()
	services   = readServices()
	scenarios  = readScenarios()

	// matrixText is the responsibility matrix; %s is the company's name.
	matrixText = string(must(fs.ReadFile(wordFiles, "words/matrix.md")))
)

type company struct {
	name, domain, city string
	// regions are the primary and the standby hosting region.
	regions []string
}

type country struct {
	forms   []string
	phone   string
	cities  []string
	streets []string
	addr    string // street, number, postcode, city
	tax     func(g *generator) string
	post    func(g *generator) string
	local   func(g *generator) string
}

func (c country) taxID(g *generator) string    { return c.tax(g) }
func (c country) postcode(g *generator) string { return c.post(g) }

func digits(g *generator, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteByte(byte('0' + g.intn(10)))
	}
	return b.String()
}

// numberFormats are how each country of countries.txt, by calling code,
// writes tax ids, postcodes and local phone numbers.
var numberFormats = map[string]struct{ tax, post, local func(g *generator) string }{
	"+41": {
		tax: func(g *generator) string {
			return fmt.Sprintf("CHE-%s.%s.%s", digits(g, 3), digits(g, 3), digits(g, 3))
		},
		post:  func(g *generator) string { return fmt.Sprint(g.between(1000, 9658)) },
		local: func(g *generator) string { return fmt.Sprintf("%d 555 %s", pick(g, areaCodes), digits(g, 4)) },
	},
	"+49": {
		tax:   func(g *generator) string { return "DE" + digits(g, 9) },
		post:  func(g *generator) string { return digits(g, 5) },
		local: func(g *generator) string { return fmt.Sprintf("%d 555 %s", g.between(30, 89), digits(g, 4)) },
	},
	"+43": {
		tax:   func(g *generator) string { return "ATU" + digits(g, 8) },
		post:  func(g *generator) string { return fmt.Sprint(g.between(1010, 9990)) },
		local: func(g *generator) string { return fmt.Sprintf("1 555 %s", digits(g, 4)) },
	},
	"+1": {
		tax: func(g *generator) string {
			return fmt.Sprintf("EIN %s-%s", digits(g, 2), digits(g, 7))
		},
		post:  func(g *generator) string { return digits(g, 5) },
		local: func(g *generator) string { return fmt.Sprintf("%d 555 %s", g.between(201, 989), digits(g, 4)) },
	},
	"+353": {
		tax:   func(g *generator) string { return "IE" + digits(g, 7) + string(rune('A'+g.intn(26))) },
		post:  func(g *generator) string { return fmt.Sprintf("D%02d X%s", g.between(1, 24), digits(g, 3)) },
		local: func(g *generator) string { return fmt.Sprintf("1 555 %s", digits(g, 4)) },
	},
	"+31": {
		tax: func(g *generator) string { return "NL" + digits(g, 9) + "B" + digits(g, 2) },
		post: func(g *generator) string {
			return fmt.Sprintf("%d %c%c", g.between(1000, 9999), 'A'+g.intn(26), 'A'+g.intn(26))
		},
		local: func(g *generator) string { return fmt.Sprintf("20 555 %s", digits(g, 4)) },
	},
	"+33": {
		tax:   func(g *generator) string { return "FR" + digits(g, 11) },
		post:  func(g *generator) string { return digits(g, 5) },
		local: func(g *generator) string { return fmt.Sprintf("4 55 55 %s", digits(g, 4)) },
	},
	"+39": {
		tax:   func(g *generator) string { return "IT" + digits(g, 11) },
		post:  func(g *generator) string { return digits(g, 5) },
		local: func(g *generator) string { return fmt.Sprintf("02 555 %s", digits(g, 4)) },
	},
}

type category struct {
	key       string
	nouns     []string
	mailboxes []string
	services  []string
	critical  int // percent of suppliers of this kind that are critical
	about     string
}

type service struct {
	name  string
	parts []string
}

// scenario is a kind of incident, with the prose that describes it.
// Placeholders: {Svc} {svc} {comp} {sup} {supid} {owner} {rep} {rel}
// {region} {standby} {down} {loss} {chg}.
type scenario struct {
	title    string
	levels   []string
	service  string // the service it hits at lower levels; "" any
	supplier string // the supplier category involved; "" none
	symptom  string
	fix      string
	summary  string
	rca      string
	lessons  []string
}

func readCompanies() []company {
	var out []company
	for _, s := range records("companies.txt", "domain", "city", "region") {
		out = append(out, company{name: s.name, domain: s.one("domain"), city: s.one("city"), regions: s.all("region")})
	}
	return out
}

func readCountries() []country {
	var out []country
	for _, s := range records("countries.txt", "form", "city", "street", "address") {
		f, ok := numberFormats[s.name]
		if !ok {
			panic("gen: words/countries.txt: no number formats for " + s.name)
		}
		out = append(out, country{forms: s.all("form"), phone: s.name, cities: s.all("city"), streets: s.all("street"),
			addr: s.one("address"), tax: f.tax, post: f.post, local: f.local})
	}
	return out
}

func readCategories() []category {
	var out []category
	for _, s := range records("categories.txt", "noun", "mailbox", "service", "critical", "about") {
		out = append(out, category{key: s.name, nouns: s.all("noun"), mailboxes: s.all("mailbox"), services: s.all("service"),
			critical: must(strconv.Atoi(s.one("critical"))), about: s.one("about")})
	}
	return out
}

func readServices() map[string]service {
	out := map[string]service{}
	for _, s := range records("services.txt", "name", "part") {
		out[s.name] = service{name: s.one("name"), parts: s.all("part")}
	}
	return out
}

func readScenarios() []scenario {
	var out []scenario
	for _, s := range records("scenarios.txt", "level", "service", "supplier", "symptom", "fix", "summary", "rca", "lesson") {
		out = append(out, scenario{title: s.name, levels: s.all("level"), service: s.one("service"), supplier: s.one("supplier"),
			symptom: s.one("symptom"), fix: s.one("fix"), summary: s.one("summary"), rca: s.one("rca"), lessons: s.all("lesson")})
	}
	return out
}

// ascii lowercases a name and spells it in ASCII letters, for handles and
// mailboxes: "Müller" → "mueller".
func ascii(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == 'ä' || r == 'æ':
			b.WriteString("ae")
		case r == 'ö' || r == 'ø':
			b.WriteString("oe")
		case r == 'ü':
			b.WriteString("ue")
		case r == 'é' || r == 'è' || r == 'ê' || r == 'ë':
			b.WriteByte('e')
		case r == 'à' || r == 'á' || r == 'â':
			b.WriteByte('a')
		case r == 'ç' || r == 'č':
			b.WriteByte('c')
		case r == 'ô' || r == 'ó':
			b.WriteByte('o')
		case r == 'ï' || r == 'í':
			b.WriteByte('i')
		case r == 'ß':
			b.WriteString("ss")
		}
	}
	return b.String()
}

// slug makes a host name label from a company name.
func slug(name string) string {
	var parts []string
	for _, w := range strings.Fields(name) {
		if a := ascii(w); a != "" && !legalForm[w] {
			parts = append(parts, a)
		}
	}
	return strings.Join(parts, "-")
}

var legalForm = map[string]bool{"AG": true, "GmbH": true, "SA": true, "SE": true, "Inc.": true, "LLC": true,
	"Ltd": true, "DAC": true, "B.V.": true, "SAS": true, "S.r.l.": true, "S.p.A.": true}
