package leads

import "encoding/json"

// The service keeps its own copies of the reference data that leads point to.
// An admin writes them with PUT (create or replace); the onboarding pages read
// locations, centres and courses.

// User is an account that may own a lead.
type User struct {
	ID       string  `json:"id"`
	FullName string  `json:"fullName"`
	Email    string  `json:"email"`
	Phone    *string `json:"phone"`
}

// Location is a training location (a state).
type Location struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Center is a training centre, optionally in a location.
type Center struct {
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	LocationID *string `json:"locationId"`
}

// Course is a course, optionally taught at one centre.
type Course struct {
	ID       string  `json:"id"`
	Name     string  `json:"name"`
	CenterID *string `json:"centerId"`
	// What an applicant chooses by, where the catalogue has it: free text,
	// so a centre can say "12 weeks, evenings" or "₦150,000 or 3 × ₦55,000".
	Description *string `json:"description,omitempty"`
	Duration    *string `json:"duration,omitempty"`
	Fee         *string `json:"fee,omitempty"`
}

// The bounds of a course's details.
const (
	MaxCourseDescriptionLen = 1000
	MaxCourseDetailLen      = 100
)

// Student is an enrolled student, optionally linked to the user they were.
type Student struct {
	ID     string  `json:"id"`
	UserID *string `json:"userId"`
}

// ParseUser validates the body of PUT /users/{id}.
func ParseUser(id string, body []byte) (User, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return User{}, err
	}
	p := parser{}
	u := User{ID: p.pathID(id), Phone: p.str(obj, "phone", "phone", MaxStringLen)}
	u.FullName = p.required(obj, "fullName")
	u.Email = p.required(obj, "email")
	if u.Email != "" && !ValidEmail(u.Email) {
		p.fail("email", "must be a valid email address")
	}
	return u, p.err()
}

// ParseLocation validates the body of PUT /locations/{id}.
func ParseLocation(id string, body []byte) (Location, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Location{}, err
	}
	p := parser{}
	l := Location{ID: p.pathID(id), Name: p.required(obj, "name")}
	return l, p.err()
}

// ParseCenter validates the body of PUT /centers/{id}.
func ParseCenter(id string, body []byte) (Center, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Center{}, err
	}
	p := parser{}
	c := Center{ID: p.pathID(id), Name: p.required(obj, "name"),
		LocationID: p.str(obj, "locationId", "locationId", MaxStringLen)}
	return c, p.err()
}

// ParseCourse validates the body of PUT /courses/{id}.
func ParseCourse(id string, body []byte) (Course, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Course{}, err
	}
	p := parser{}
	c := Course{ID: p.pathID(id), Name: p.required(obj, "name"),
		CenterID:    p.str(obj, "centerId", "centerId", MaxStringLen),
		Description: p.str(obj, "description", "description", MaxCourseDescriptionLen),
		Duration:    p.str(obj, "duration", "duration", MaxCourseDetailLen),
		Fee:         p.str(obj, "fee", "fee", MaxCourseDetailLen)}
	return c, p.err()
}

// ParseStudent validates the body of PUT /students/{id}.
func ParseStudent(id string, body []byte) (Student, error) {
	obj, err := decodeObject(body)
	if err != nil {
		return Student{}, err
	}
	p := parser{}
	s := Student{ID: p.pathID(id), UserID: p.str(obj, "userId", "userId", MaxStringLen)}
	return s, p.err()
}

// required returns the string at key, failing when it is missing or blank.
func (p *parser) required(obj map[string]json.RawMessage, key string) string {
	s := p.str(obj, key, key, MaxStringLen)
	if s == nil {
		if _, bad := p.failed(key); !bad {
			p.fail(key, "is required")
		}
		return ""
	}
	return *s
}

// pathID checks an id taken from the URL path.
func (p *parser) pathID(id string) string {
	if id == "" || len(id) > MaxStringLen {
		p.fail("id", "must be 1 to 255 characters")
	}
	return id
}

func (p *parser) failed(field string) (FieldError, bool) {
	for _, e := range p.errs {
		if e.Field == field {
			return e, true
		}
	}
	return FieldError{}, false
}

// err returns the collected field errors as one *Error, or nil.
func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return Invalid(p.errs...)
}
