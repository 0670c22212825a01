package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
)

// location, center and course are the catalogue the load runs against: the
// demo catalogue of `leads serve --demo`, written by the seed phase with admin
// PUTs so that it exists on any database.
type location struct{ id, name string }

type center struct{ id, name, locationID string }

type course struct{ id, name, centerID string }

// catalogue is the reference data of one load run.
type catalogue struct {
	locations []location
	centers   []center
	courses   []course
}

// demoCatalogue mirrors cmd/leads' demo catalogue (Nigerian states, a centre in
// each, a few courses per centre).
func demoCatalogue() catalogue {
	return catalogue{
		locations: []location{
			{"fct-abuja", "FCT Abuja"}, {"lagos", "Lagos"}, {"kano", "Kano"}, {"rivers", "Rivers"},
		},
		centers: []center{
			{"abuja-center", "Abuja Center", "fct-abuja"},
			{"lagos-center", "Lagos Center", "lagos"},
			{"kano-center", "Kano Center", "kano"},
			{"port-harcourt-center", "Port Harcourt Center", "rivers"},
		},
		courses: []course{
			{"abuja-digital-marketing", "Digital Marketing Course", "abuja-center"},
			{"abuja-web-development", "Web Development", "abuja-center"},
			{"abuja-fashion-design", "Fashion Design", "abuja-center"},
			{"lagos-digital-marketing", "Digital Marketing Course", "lagos-center"},
			{"lagos-web-development", "Web Development", "lagos-center"},
			{"lagos-solar-installation", "Solar Installation", "lagos-center"},
			{"kano-fashion-design", "Fashion Design", "kano-center"},
			{"kano-solar-installation", "Solar Installation", "kano-center"},
			{"port-harcourt-web-development", "Web Development", "port-harcourt-center"},
			{"port-harcourt-solar-installation", "Solar Installation", "port-harcourt-center"},
		},
	}
}

// coursesOf returns the courses taught at the centre.
func (c catalogue) coursesOf(centerID string) []course {
	var out []course
	for _, co := range c.courses {
		if co.centerID == centerID {
			out = append(out, co)
		}
	}
	return out
}

// The body of a save, as the guide's frontend sends it. Pointers are fields the
// frontend may send as null.
type savePayload struct {
	Profile        profile `json:"profile"`
	SelectedCenter *ref    `json:"selectedCenter"`
	SelectedCourse *ref    `json:"selectedCourse"`
	Step           int     `json:"step"`
	Source         string  `json:"source"`
}

type profile struct {
	TrainingLocation *string `json:"trainingLocation"`
	Centre           *string `json:"centre"`
	StudentAddress   *string `json:"studentAddress"`
	GuardianName     *string `json:"guardianName"`
	GuardianPhone    *string `json:"guardianPhone"`
	GuardianEmail    *string `json:"guardianEmail"`
	GuardianAddress  *string `json:"guardianAddress"`
	HasGuardian      bool    `json:"hasGuardian"`
}

type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

var (
	streets = []string{"Aminu Kano Crescent, Wuse 2", "Ademola Adetokunbo Crescent, Wuse 2",
		"Allen Avenue, Ikeja", "Admiralty Way, Lekki Phase 1", "Zoo Road, Kano", "Aba Road, Port Harcourt",
		"Herbert Macaulay Way, Yaba", "Gana Street, Maitama"}
	firstNames = []string{"Mercy", "Tunde", "Amina", "Chinedu", "Ngozi", "Ibrahim", "Funke", "Emeka", "Zainab", "Segun"}
	lastNames  = []string{"Isaiah", "Bakare", "Yusuf", "Okafor", "Adeyemi", "Bello", "Eze", "Lawal", "Nwosu", "Ogunleye"}
)

func ptr[T any](v T) *T { return &v }

// userName returns the deterministic profile of load user i, the name and
// e-mail its tokens carry.
func userName(i int) (name, email string) {
	name = firstNames[i%len(firstNames)] + " " + lastNames[(i/len(firstNames))%len(lastNames)]
	return name, fmt.Sprintf("load.user.%d@example.com", i)
}

// centerOf is load user i's centre. A user keeps their centre from save to
// save, as applicants mostly do, so a re-save does not move the lead between
// centres (which would touch the centre index and the list counters).
func (c catalogue) centerOf(i int) center { return c.centers[i%len(c.centers)] }

// fullPayload is the guide's full payload: every step-1 field, the centre, a
// course of the centre, and a guardian when guardian is set.
func fullPayload(r *rand.Rand, cat catalogue, c center, step int, guardian bool) savePayload {
	courses := cat.coursesOf(c.id)
	co := courses[r.IntN(len(courses))]
	p := savePayload{
		Profile: profile{
			TrainingLocation: ptr(c.locationID),
			Centre:           ptr(c.id),
			StudentAddress:   ptr(fmt.Sprintf("%d %s", 1+r.IntN(200), streets[r.IntN(len(streets))])),
		},
		SelectedCenter: &ref{ID: c.id, Name: c.name},
		SelectedCourse: &ref{ID: co.id, Name: co.name},
		Step:           step,
		Source:         "onboarding_save_and_exit",
	}
	if guardian {
		g := firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]
		p.Profile.HasGuardian = true
		p.Profile.GuardianName = ptr(g)
		p.Profile.GuardianPhone = ptr(fmt.Sprintf("080%08d", r.IntN(100_000_000)))
		p.Profile.GuardianEmail = ptr(fmt.Sprintf("guardian.%d@example.com", r.IntN(1_000_000)))
		p.Profile.GuardianAddress = ptr(fmt.Sprintf("%d %s", 1+r.IntN(200), streets[r.IntN(len(streets))]))
	}
	return p
}

// resavePayload is the full payload user i sends every time in the resave
// phase: the user's centre, its first course, step 3, a guardian, every value
// a function of i that SQL can compute too (pgbenchResave).
func resavePayload(cat catalogue, i int) savePayload {
	c := cat.centerOf(i)
	co := cat.coursesOf(c.id)[0]
	return savePayload{
		Profile: profile{
			TrainingLocation: ptr(c.locationID),
			Centre:           ptr(c.id),
			StudentAddress:   ptr(fmt.Sprintf("%d %s", i%200+1, streets[i%len(streets)])),
			HasGuardian:      true,
			GuardianName:     ptr(firstNames[i%len(firstNames)] + " " + lastNames[i%len(lastNames)]),
			GuardianPhone:    ptr(fmt.Sprintf("080%08d", i)),
			GuardianEmail:    ptr(fmt.Sprintf("guardian.%d@example.com", i)),
			GuardianAddress:  ptr(fmt.Sprintf("%d %s", i%150+1, streets[(i+3)%len(streets)])),
		},
		SelectedCenter: &ref{ID: c.id, Name: c.name},
		SelectedCourse: &ref{ID: co.id, Name: co.name},
		Step:           3,
		Source:         "onboarding_save_and_exit",
	}
}

// seedPayload is a first save at centre c as real applicants leave it: a
// fifth stop on step 1 with only a location and centre chosen, the rest further
// on with the full payload.
func seedPayload(r *rand.Rand, cat catalogue, c center) savePayload {
	if r.IntN(5) == 0 {
		return savePayload{
			Profile:        profile{TrainingLocation: ptr(c.locationID), Centre: ptr(c.id)},
			SelectedCenter: &ref{ID: c.id, Name: c.name},
			Step:           1,
			Source:         "onboarding_save_and_exit",
		}
	}
	return fullPayload(r, cat, c, 1+r.IntN(3), r.IntN(3) == 0)
}

// firstPayload is the first save of the first phase and of its pgbench
// script: the full payload at step 2, with a guardian and the first course
// of load user i's centre.
func firstPayload(cat catalogue, i int) savePayload {
	c := cat.centerOf(i)
	p := fullPayload(rand.New(rand.NewPCG(uint64(i), 2)), cat, c, 2, true)
	co := cat.coursesOf(c.id)[0]
	p.SelectedCourse = &ref{ID: co.id, Name: co.name}
	return p
}

// mustJSON encodes v; the payload types always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}
