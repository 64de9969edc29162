package demo

// Static tables the generator draws from. Everything here is fictional but shaped like the data a
// B2B sales team sees: weighted countries with matching cities, regions, IANA time zones, phone
// area codes and languages; names per language; industries, titles, sources and campaigns.

// city is a place a lead can be in. offset is the standard-time UTC offset in hours; it only
// decides the local time of day at which activity happens, so ignoring daylight saving is fine.
type city struct {
	name   string
	region string
	tz     string
	offset float64
	area   string // phone area code
	weight float64
	lang   string // overrides the country's language when set (Quebec)
	names  string // overrides the country's name set when set
}

// country is a market with everything needed to make a consistent address.
type country struct {
	code    string
	weight  float64
	lang    string
	english float64 // share of leads whose form language is English instead of lang
	names   string  // key into nameSets
	style   string  // company naming style
	tld     string  // company domain suffix
	webmail []string
	consent float64 // share of leads that opt in to marketing email on the form
	cities  []city
}

var countries = []country{
	{code: "US", weight: 30, lang: "en", names: "en", style: "en", tld: "com",
		webmail: []string{"gmail.com", "gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com"}, consent: 0.9,
		cities: []city{
			{"San Francisco", "California", "America/Los_Angeles", -8, "415", 9, "", ""},
			{"Los Angeles", "California", "America/Los_Angeles", -8, "213", 5, "", ""},
			{"Seattle", "Washington", "America/Los_Angeles", -8, "206", 5, "", ""},
			{"Austin", "Texas", "America/Chicago", -6, "512", 5, "", ""},
			{"Dallas", "Texas", "America/Chicago", -6, "214", 4, "", ""},
			{"Chicago", "Illinois", "America/Chicago", -6, "312", 6, "", ""},
			{"New York", "New York", "America/New_York", -5, "212", 10, "", ""},
			{"Boston", "Massachusetts", "America/New_York", -5, "617", 5, "", ""},
			{"Atlanta", "Georgia", "America/New_York", -5, "404", 4, "", ""},
			{"Miami", "Florida", "America/New_York", -5, "305", 3, "", ""},
			{"Denver", "Colorado", "America/Denver", -7, "303", 3, "", ""},
			{"Phoenix", "Arizona", "America/Phoenix", -7, "602", 2, "", ""},
			{"Raleigh", "North Carolina", "America/New_York", -5, "919", 2, "", ""},
			{"Minneapolis", "Minnesota", "America/Chicago", -6, "612", 2, "", ""},
		}},
	{code: "GB", weight: 10, lang: "en", names: "en", style: "en", tld: "co.uk",
		webmail: []string{"gmail.com", "outlook.com", "hotmail.co.uk", "btinternet.com"}, consent: 0.82,
		cities: []city{
			{"London", "England", "Europe/London", 0, "20", 12, "", ""},
			{"Manchester", "England", "Europe/London", 0, "161", 4, "", ""},
			{"Birmingham", "England", "Europe/London", 0, "121", 3, "", ""},
			{"Bristol", "England", "Europe/London", 0, "117", 2, "", ""},
			{"Leeds", "England", "Europe/London", 0, "113", 2, "", ""},
			{"Edinburgh", "Scotland", "Europe/London", 0, "131", 2, "", ""},
			{"Glasgow", "Scotland", "Europe/London", 0, "141", 2, "", ""},
			{"Cardiff", "Wales", "Europe/London", 0, "29", 1, "", ""},
			{"Belfast", "Northern Ireland", "Europe/London", 0, "28", 1, "", ""},
		}},
	{code: "CA", weight: 6, lang: "en", names: "en", style: "en", tld: "ca",
		webmail: []string{"gmail.com", "outlook.com", "yahoo.ca", "hotmail.com"}, consent: 0.85,
		cities: []city{
			{"Toronto", "Ontario", "America/Toronto", -5, "416", 8, "", ""},
			{"Vancouver", "British Columbia", "America/Vancouver", -8, "604", 5, "", ""},
			{"Montréal", "Quebec", "America/Toronto", -5, "514", 4, "fr", "fr"},
			{"Calgary", "Alberta", "America/Edmonton", -7, "403", 2, "", ""},
			{"Ottawa", "Ontario", "America/Toronto", -5, "613", 2, "", ""},
			{"Québec", "Quebec", "America/Toronto", -5, "418", 1, "fr", "fr"},
		}},
	{code: "DE", weight: 9, lang: "de", english: 0.1, names: "de", style: "de", tld: "de",
		webmail: []string{"gmx.de", "web.de", "t-online.de", "gmail.com"}, consent: 0.72,
		cities: []city{
			{"Berlin", "Berlin", "Europe/Berlin", 1, "30", 7, "", ""},
			{"München", "Bayern", "Europe/Berlin", 1, "89", 6, "", ""},
			{"Hamburg", "Hamburg", "Europe/Berlin", 1, "40", 5, "", ""},
			{"Frankfurt am Main", "Hessen", "Europe/Berlin", 1, "69", 4, "", ""},
			{"Köln", "Nordrhein-Westfalen", "Europe/Berlin", 1, "221", 3, "", ""},
			{"Düsseldorf", "Nordrhein-Westfalen", "Europe/Berlin", 1, "211", 2, "", ""},
			{"Stuttgart", "Baden-Württemberg", "Europe/Berlin", 1, "711", 3, "", ""},
			{"Leipzig", "Sachsen", "Europe/Berlin", 1, "341", 1, "", ""},
		}},
	{code: "ID", weight: 8, lang: "id", english: 0.2, names: "id", style: "id", tld: "co.id",
		webmail: []string{"gmail.com", "gmail.com", "yahoo.co.id", "yahoo.com"}, consent: 0.9,
		cities: []city{
			{"Jakarta", "DKI Jakarta", "Asia/Jakarta", 7, "21", 12, "", ""},
			{"Surabaya", "Jawa Timur", "Asia/Jakarta", 7, "31", 4, "", ""},
			{"Bandung", "Jawa Barat", "Asia/Jakarta", 7, "22", 3, "", ""},
			{"Tangerang", "Banten", "Asia/Jakarta", 7, "21", 2, "", ""},
			{"Semarang", "Jawa Tengah", "Asia/Jakarta", 7, "24", 1.5, "", ""},
			{"Yogyakarta", "DI Yogyakarta", "Asia/Jakarta", 7, "274", 1.5, "", ""},
			{"Medan", "Sumatera Utara", "Asia/Jakarta", 7, "61", 1.5, "", ""},
			{"Denpasar", "Bali", "Asia/Makassar", 8, "361", 1.5, "", ""},
			{"Makassar", "Sulawesi Selatan", "Asia/Makassar", 8, "411", 1, "", ""},
		}},
	{code: "AU", weight: 5, lang: "en", names: "en", style: "au", tld: "com.au",
		webmail: []string{"gmail.com", "outlook.com", "bigpond.com", "yahoo.com.au"}, consent: 0.86,
		cities: []city{
			{"Sydney", "New South Wales", "Australia/Sydney", 10, "2", 8, "", ""},
			{"Melbourne", "Victoria", "Australia/Melbourne", 10, "3", 7, "", ""},
			{"Brisbane", "Queensland", "Australia/Brisbane", 10, "7", 3, "", ""},
			{"Perth", "Western Australia", "Australia/Perth", 8, "8", 2, "", ""},
			{"Adelaide", "South Australia", "Australia/Adelaide", 9.5, "8", 1, "", ""},
		}},
	{code: "FR", weight: 5, lang: "fr", english: 0.1, names: "fr", style: "fr", tld: "fr",
		webmail: []string{"gmail.com", "orange.fr", "free.fr", "hotmail.fr"}, consent: 0.75,
		cities: []city{
			{"Paris", "Île-de-France", "Europe/Paris", 1, "1", 10, "", ""},
			{"Lyon", "Auvergne-Rhône-Alpes", "Europe/Paris", 1, "4", 3, "", ""},
			{"Marseille", "Provence-Alpes-Côte d'Azur", "Europe/Paris", 1, "4", 2, "", ""},
			{"Toulouse", "Occitanie", "Europe/Paris", 1, "5", 2, "", ""},
			{"Lille", "Hauts-de-France", "Europe/Paris", 1, "3", 1.5, "", ""},
			{"Nantes", "Pays de la Loire", "Europe/Paris", 1, "2", 1.5, "", ""},
			{"Bordeaux", "Nouvelle-Aquitaine", "Europe/Paris", 1, "5", 1.5, "", ""},
		}},
	{code: "NL", weight: 4, lang: "nl", english: 0.3, names: "nl", style: "nl", tld: "nl",
		webmail: []string{"gmail.com", "outlook.com", "ziggo.nl", "hotmail.nl"}, consent: 0.78,
		cities: []city{
			{"Amsterdam", "Noord-Holland", "Europe/Amsterdam", 1, "20", 8, "", ""},
			{"Rotterdam", "Zuid-Holland", "Europe/Amsterdam", 1, "10", 4, "", ""},
			{"Utrecht", "Utrecht", "Europe/Amsterdam", 1, "30", 3, "", ""},
			{"Den Haag", "Zuid-Holland", "Europe/Amsterdam", 1, "70", 2, "", ""},
			{"Eindhoven", "Noord-Brabant", "Europe/Amsterdam", 1, "40", 2, "", ""},
			{"Groningen", "Groningen", "Europe/Amsterdam", 1, "50", 1, "", ""},
		}},
	{code: "IN", weight: 8, lang: "en", names: "in", style: "in", tld: "in",
		webmail: []string{"gmail.com", "gmail.com", "yahoo.co.in", "rediffmail.com", "outlook.com"}, consent: 0.92,
		cities: []city{
			{"Bengaluru", "Karnataka", "Asia/Kolkata", 5.5, "80", 9, "", ""},
			{"Mumbai", "Maharashtra", "Asia/Kolkata", 5.5, "22", 7, "", ""},
			{"New Delhi", "Delhi", "Asia/Kolkata", 5.5, "11", 5, "", ""},
			{"Hyderabad", "Telangana", "Asia/Kolkata", 5.5, "40", 5, "", ""},
			{"Pune", "Maharashtra", "Asia/Kolkata", 5.5, "20", 4, "", ""},
			{"Chennai", "Tamil Nadu", "Asia/Kolkata", 5.5, "44", 4, "", ""},
			{"Gurugram", "Haryana", "Asia/Kolkata", 5.5, "124", 3, "", ""},
		}},
	{code: "SG", weight: 3, lang: "en", names: "sg", style: "sg", tld: "com.sg",
		webmail: []string{"gmail.com", "yahoo.com.sg", "hotmail.com"}, consent: 0.88,
		cities: []city{
			{"Singapore", "Singapore", "Asia/Singapore", 8, "6", 1, "", ""},
		}},
	{code: "BR", weight: 4, lang: "pt", english: 0.1, names: "pt", style: "pt", tld: "com.br",
		webmail: []string{"gmail.com", "gmail.com", "hotmail.com", "uol.com.br", "bol.com.br"}, consent: 0.88,
		cities: []city{
			{"São Paulo", "São Paulo", "America/Sao_Paulo", -3, "11", 10, "", ""},
			{"Rio de Janeiro", "Rio de Janeiro", "America/Sao_Paulo", -3, "21", 5, "", ""},
			{"Belo Horizonte", "Minas Gerais", "America/Sao_Paulo", -3, "31", 2, "", ""},
			{"Curitiba", "Paraná", "America/Sao_Paulo", -3, "41", 2, "", ""},
			{"Porto Alegre", "Rio Grande do Sul", "America/Sao_Paulo", -3, "51", 1.5, "", ""},
			{"Florianópolis", "Santa Catarina", "America/Sao_Paulo", -3, "48", 1, "", ""},
			{"Recife", "Pernambuco", "America/Recife", -3, "81", 1, "", ""},
		}},
	{code: "JP", weight: 3, lang: "ja", english: 0.15, names: "ja", style: "ja", tld: "co.jp",
		webmail: []string{"gmail.com", "yahoo.co.jp", "docomo.ne.jp"}, consent: 0.85,
		cities: []city{
			{"Tokyo", "Tokyo", "Asia/Tokyo", 9, "3", 10, "", ""},
			{"Osaka", "Osaka", "Asia/Tokyo", 9, "6", 4, "", ""},
			{"Yokohama", "Kanagawa", "Asia/Tokyo", 9, "45", 2, "", ""},
			{"Nagoya", "Aichi", "Asia/Tokyo", 9, "52", 2, "", ""},
			{"Fukuoka", "Fukuoka", "Asia/Tokyo", 9, "92", 1.5, "", ""},
			{"Kyoto", "Kyoto", "Asia/Tokyo", 9, "75", 1, "", ""},
			{"Sapporo", "Hokkaido", "Asia/Tokyo", 9, "11", 1, "", ""},
		}},
}

// nameSet holds given names and family names of one language area.
type nameSet struct{ first, last []string }

var nameSets = map[string]nameSet{
	"en": {
		first: []string{"James", "Emily", "Michael", "Sarah", "David", "Jessica", "Daniel", "Ashley", "Matthew", "Jennifer",
			"Chris", "Amanda", "Ryan", "Megan", "Kevin", "Rachel", "Brian", "Lauren", "Jason", "Olivia", "Ethan", "Sophia",
			"Noah", "Ava", "Liam", "Grace", "Oliver", "Chloe", "Jack", "Charlotte", "Harry", "Amelia", "Carlos", "Maria",
			"Wei", "Aisha", "Omar", "Priya", "Diego", "Mei", "Tom", "Hannah", "Sam", "Natalie", "Andrew", "Rebecca", "Mark",
			"Laura", "Josh", "Katie", "Ben", "Zoe", "Nathan", "Holly", "Tyler", "Morgan"},
		last: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
			"Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
			"Clark", "Lewis", "Walker", "Hall", "Young", "King", "Wright", "Nguyen", "Patel", "Kim", "Chen", "O'Brien",
			"Murphy", "Campbell", "Evans", "Roberts", "Hughes", "Walsh", "MacDonald", "Tremblay", "Cooper", "Reed",
			"Bennett", "Brooks", "Price", "Foster", "Gray", "Hayes", "Fletcher", "Shaw", "Ellis", "Kowalski", "Singh"},
	},
	"de": {
		first: []string{"Lukas", "Anna", "Jonas", "Lea", "Felix", "Sophie", "Maximilian", "Marie", "Paul", "Laura", "Tobias",
			"Julia", "Stefan", "Katrin", "Jürgen", "Sabine", "Matthias", "Claudia", "Thomas", "Andrea", "Niklas", "Hannah",
			"Florian", "Johanna", "Sebastian", "Miriam", "Dirk", "Ute", "Björn", "Anke", "Moritz", "Franziska"},
		last: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
			"Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz",
			"Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier",
			"Lehmann", "Köhler", "Vogel", "Jäger", "Groß", "Brandt", "Lorenz"},
	},
	"id": {
		first: []string{"Budi", "Siti", "Agus", "Dewi", "Rizky", "Putri", "Andi", "Sri", "Hendra", "Ayu", "Dian", "Fajar",
			"Indah", "Yusuf", "Rina", "Eko", "Wahyu", "Nur", "Bayu", "Lestari", "Adi", "Ratna", "Dimas", "Intan", "Teguh",
			"Maya", "Arief", "Fitri", "Gilang", "Anisa", "Reza", "Novi", "Yoga", "Citra"},
		last: []string{"Santoso", "Wijaya", "Saputra", "Pratama", "Hidayat", "Kusuma", "Setiawan", "Nugroho", "Rahayu",
			"Lestari", "Susanto", "Gunawan", "Halim", "Siregar", "Nasution", "Hutapea", "Simanjuntak", "Wibowo",
			"Purnomo", "Kurniawan", "Permana", "Hakim", "Utami", "Firmansyah", "Sutanto", "Tanjung", "Harahap",
			"Sitompul", "Ramadhan", "Suryadi", "Anggraini", "Wirawan"},
	},
	"fr": {
		first: []string{"Léa", "Louis", "Chloé", "Hugo", "Manon", "Lucas", "Camille", "Gabriel", "Inès", "Arthur", "Julie",
			"Nicolas", "Élodie", "Mathieu", "Sophie", "Antoine", "Claire", "Julien", "Céline", "Pierre", "Margaux",
			"Théo", "Aurélie", "Guillaume", "Sandrine", "François", "Émilie", "Maxime"},
		last: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
			"Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
			"Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Gauthier", "Côté", "Bélanger", "Lavoie"},
	},
	"nl": {
		first: []string{"Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Bram", "Sanne", "Thijs", "Lotte", "Jeroen",
			"Femke", "Ruben", "Anouk", "Pieter", "Marieke", "Joost", "Ilse", "Sven", "Eva", "Wouter", "Floor", "Koen", "Noor"},
		last: []string{"de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser", "Smit",
			"Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters", "Hendriks", "van Leeuwen", "Dekker",
			"Brouwer", "van der Meer", "Kok", "Verhoeven", "Willems"},
	},
	"in": {
		first: []string{"Aarav", "Priya", "Rohan", "Ananya", "Vikram", "Neha", "Arjun", "Pooja", "Rahul", "Divya",
			"Karthik", "Sneha", "Amit", "Kavya", "Sanjay", "Meera", "Aditya", "Riya", "Nikhil", "Lakshmi", "Varun",
			"Shreya", "Manish", "Deepa", "Suresh", "Anjali"},
		last: []string{"Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Mehta", "Joshi", "Rao",
			"Desai", "Chopra", "Bose", "Menon", "Agarwal", "Verma", "Pillai", "Kulkarni", "Banerjee", "Krishnan",
			"Shetty", "Malhotra", "Das"},
	},
	"sg": {
		first: []string{"Wei Ling", "Jun Jie", "Hui Min", "Kai Wen", "Siew Mei", "Marcus", "Rachel", "Darren", "Nurul",
			"Aravind", "Sarah", "Bryan", "Jasmine", "Ryan", "Mei Ling", "Zhi Hao", "Farah", "Joel", "Shu Fen", "Ivan"},
		last: []string{"Tan", "Lim", "Lee", "Ng", "Ong", "Wong", "Goh", "Chua", "Chan", "Koh", "Teo", "Ang", "Yeo",
			"Rahman", "Pillay", "Low", "Sim", "Ho"},
	},
	"pt": {
		first: []string{"João", "Maria", "Gabriel", "Ana", "Lucas", "Juliana", "Pedro", "Fernanda", "Rafael", "Camila",
			"Thiago", "Beatriz", "Bruno", "Larissa", "Felipe", "Mariana", "Gustavo", "Letícia", "Rodrigo", "Patrícia",
			"André", "Vanessa", "Marcelo", "Renata"},
		last: []string{"Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
			"Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Araújo", "Barbosa", "Rocha",
			"Cardoso", "Nascimento", "Moreira"},
	},
	"ja": {
		first: []string{"Haruto", "Yui", "Sota", "Hina", "Yuto", "Aoi", "Ren", "Sakura", "Takumi", "Mei", "Kenji",
			"Yuki", "Hiroshi", "Akiko", "Daiki", "Naoko", "Shota", "Emi", "Kazuki", "Rina", "Takeshi", "Ayaka"},
		last: []string{"Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
			"Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi", "Shimizu",
			"Mori"},
	},
}

// industry has a share of new companies and a fit value for the ideal customer profile (a
// revenue-operations tool sells best to technology companies).
type industry struct {
	name   string
	weight float64
	fit    float64
	nouns  []string // English company-name nouns
}

var industries = []industry{
	{"Technology", 18, 1.0, []string{"Labs", "Systems", "Technologies", "Digital", "Networks", "Cloud", "Data", "Tech"}},
	{"Software", 16, 1.0, []string{"Software", "Apps", "Analytics", "AI", "Platforms", "IO", "Code", "Stack"}},
	{"Financial Services", 9, 0.8, []string{"Capital", "Financial", "Partners", "Insurance", "Wealth", "Payments", "Lending"}},
	{"Healthcare", 7, 0.6, []string{"Health", "Medical", "Care", "Clinics", "Diagnostics", "Pharma", "Biotech"}},
	{"Manufacturing", 8, 0.55, []string{"Manufacturing", "Industries", "Components", "Machinery", "Works", "Engineering"}},
	{"Retail", 6, 0.55, []string{"Retail", "Stores", "Goods", "Outfitters", "Market", "Commerce", "Brands"}},
	{"Education", 4, 0.3, []string{"Academy", "Learning", "Education", "Tutors", "EdTech"}},
	{"Logistics", 5, 0.6, []string{"Logistics", "Freight", "Shipping", "Transport", "Supply Chain", "Fleet"}},
	{"Energy", 4, 0.5, []string{"Energy", "Power", "Solar", "Renewables", "Utilities", "Grid"}},
	{"Media", 4, 0.6, []string{"Media", "Studios", "Publishing", "Creative", "Broadcasting", "Agency"}},
	{"Government", 2, 0.3, nil},
	{"Telecommunications", 4, 0.75, []string{"Telecom", "Communications", "Mobile", "Connect", "Fiber"}},
	{"Professional Services", 6, 0.7, []string{"Consulting", "Advisors", "Group", "Partners", "Associates", "Solutions"}},
	{"Real Estate", 3, 0.5, []string{"Properties", "Realty", "Estates", "Homes", "Developments"}},
	{"Non-profit", 1.5, 0.2, []string{"Foundation", "Trust", "Alliance", "Initiative"}},
}

// localNouns gives company-name nouns in the local language for some industries.
var localNouns = map[string]map[string][]string{
	"de": {
		"Technology": {"Technik", "Systeme", "Digital", "IT-Systeme"}, "Software": {"Software", "Softwaretechnik", "Informatik"},
		"Financial Services": {"Finanz", "Vermögensberatung", "Versicherungen"}, "Healthcare": {"Medizintechnik", "Gesundheit", "Klinik"},
		"Manufacturing": {"Maschinenbau", "Werke", "Anlagenbau", "Präzisionstechnik"}, "Retail": {"Handel", "Warenhaus"},
		"Logistics": {"Logistik", "Spedition", "Transporte"}, "Energy": {"Energie", "Stadtwerke", "Solartechnik"},
		"Media": {"Medien", "Verlag"}, "Telecommunications": {"Telekommunikation", "Netze"}, "Professional Services": {"Beratung", "Consulting"},
		"Real Estate": {"Immobilien"},
	},
	"id": {
		"Technology": {"Teknologi", "Digital", "Solusi Teknologi"}, "Software": {"Solusi Digital", "Sistem Informasi", "Perangkat Lunak"},
		"Financial Services": {"Finansial", "Asuransi", "Multifinance"}, "Healthcare": {"Medika", "Farma", "Husada"},
		"Manufacturing": {"Manufaktur", "Industri", "Karya Teknik"}, "Retail": {"Niaga", "Retail", "Dagang"},
		"Logistics": {"Logistik", "Ekspres", "Transportasi"}, "Energy": {"Energi", "Tenaga", "Energi Terbarukan"},
		"Media": {"Media", "Kreatif"}, "Telecommunications": {"Telekomunikasi", "Telekomindo"}, "Professional Services": {"Konsultan", "Mitra Solusi"},
		"Real Estate": {"Properti", "Realty"}, "Education": {"Edukasi", "Pendidikan"},
	},
	"fr": {
		"Technology": {"Technologies", "Numérique", "Informatique"}, "Software": {"Logiciels", "Informatique"},
		"Financial Services": {"Finance", "Assurances", "Gestion"}, "Healthcare": {"Santé", "Médical", "Pharma"},
		"Manufacturing": {"Industrie", "Mécanique", "Ateliers"}, "Retail": {"Distribution", "Commerce"},
		"Logistics": {"Logistique", "Transports"}, "Energy": {"Énergie", "Solaire"}, "Media": {"Médias", "Éditions"},
		"Professional Services": {"Conseil", "Associés"},
	},
	"nl": {
		"Technology": {"Tech", "ICT", "Digitaal"}, "Software": {"Software", "Automatisering"}, "Financial Services": {"Finance", "Verzekeringen"},
		"Healthcare": {"Zorg", "Medisch"}, "Logistics": {"Logistiek", "Transport"}, "Energy": {"Energie"}, "Retail": {"Retail", "Handel"},
	},
	"pt": {
		"Technology": {"Tecnologia", "Digital", "Sistemas"}, "Software": {"Software", "Sistemas"}, "Financial Services": {"Finanças", "Investimentos", "Seguros"},
		"Healthcare": {"Saúde", "Farma"}, "Manufacturing": {"Indústria", "Metalúrgica"}, "Retail": {"Varejo", "Comércio"},
		"Logistics": {"Logística", "Transportes"}, "Energy": {"Energia", "Solar"}, "Media": {"Mídia", "Comunicação"},
		"Professional Services": {"Consultoria"},
	},
}

// Company-name prefixes per naming style. Invented brand names are made from syllables as well.
var (
	enPrefixes = []string{"Nimbus", "Bluefin", "Cedar", "Harbor", "Summit", "Pioneer", "Northwind", "Brightline", "Ironwood",
		"Silverleaf", "Redwood", "Keystone", "Lighthouse", "Granite", "Evergreen", "Atlas", "Beacon", "Copperfield", "Meridian",
		"Quantum", "Vertex", "Orchid", "Falcon", "Sterling", "Horizon", "Riverbend", "Oakridge", "Bluewater", "Apex", "Crescent",
		"Trident", "Cobalt", "Juniper", "Maple", "Westbrook", "Fairview", "Clearpath", "Stonebridge", "Pinnacle", "Silverline",
		"Bright Harbor", "Northstar", "Red Oak", "Blue Ridge", "Highland", "Lakeshore", "Ridgeway", "Greenfield", "Wavecrest", "Sunrise"}
	auPrefixes = []string{"Southern Cross", "Kookaburra", "Coral", "Harbourside", "Eucalypt", "Wattle", "Bondi", "Outback",
		"Coastline", "Banksia", "Jacaranda", "Tasman", "Red Centre", "Blue Mountains", "Barrier Reef", "Sundown"}
	dePrefixes = []string{"Rhein", "Nord", "Alpen", "Elb", "Spree", "Isar", "Main", "Schwarzwald", "Weser", "Hansa", "Bergmann",
		"Donau", "Harz", "Mosel", "Ostsee", "Taunus", "Eifel", "Bodensee", "Lindner", "Falkenstein", "Adler", "Sonnenberg"}
	idPrefixes = []string{"Sinar", "Maju", "Karya", "Mitra", "Cahaya", "Bumi", "Sentosa", "Jaya", "Global", "Indo", "Mega",
		"Prima", "Surya", "Bintang", "Garuda", "Samudra", "Mandiri", "Makmur", "Sejahtera", "Nusa", "Citra", "Graha"}
	idSuffixWords = []string{"Nusantara", "Indonesia", "Abadi", "Utama", "Persada", "Perkasa", "Lestari", "Sejati"}
	frPrefixes    = []string{"Lumière", "Azur", "Étoile", "Bastille", "Loire", "Provence", "Mistral", "Garonne", "Rivoli",
		"Montclair", "Beaumont", "Val de Seine", "Belle Rive", "Chantilly", "Mont Blanc", "Océane"}
	nlPrefixes = []string{"Oranje", "Delta", "Tulp", "Polder", "Amstel", "Zeeland", "Noordzee", "Dijkstra", "Molen",
		"Grachten", "Duin", "Waddenzee", "Rijnmond", "Veluwe", "Lage Landen"}
	inPrefixes = []string{"Sahyadri", "Ganga", "Vistara", "Kaveri", "Lotus", "Indus", "Saffron", "Deccan", "Himalaya",
		"Aravali", "Narmada", "Vasant", "Shakti", "Nilgiri", "Akash", "Surya", "Pragati", "Navya"}
	sgPrefixes = []string{"Lion City", "Merlion", "Straits", "Marina", "Orchard", "Raffles Bay", "Sentosa", "Kallang",
		"Tanjong", "Bukit", "Changi", "Harbourfront", "Jurong", "Serangoon"}
	ptPrefixes = []string{"Horizonte", "Cruzeiro", "Aurora", "Atlântica", "Paulista", "Ipê", "Carioca", "Vale Verde",
		"Serra Azul", "Tropical", "Guanabara", "Primavera", "Itapuã", "Araucária", "Sol Nascente"}
	jaPrefixes = []string{"Sakura", "Fuji", "Nippon", "Hikari", "Kaze", "Midori", "Tokai", "Yamato", "Asahi", "Kirameki",
		"Shinsei", "Aozora", "Hoshi", "Mirai", "Tsubasa", "Kawase"}
	brandStart = []string{"Ze", "Ka", "Lu", "No", "Ve", "Tri", "Qu", "Ar", "Bri", "Cy", "Eo", "Fi", "Ha", "Ix", "Jo", "Mo",
		"Pa", "Ro", "Sa", "To", "Vi", "Xa", "Yo", "Dra", "Gle", "Kle", "Ne", "Ori", "Sol", "Tal"}
	brandEnd = []string{"ntra", "vo", "mara", "xis", "lio", "ra", "nex", "tiq", "vana", "lyx", "dora", "pio", "gen", "sys",
		"ly", "nova", "tex", "via", "rion", "zen", "bly", "quo", "mint", "loop"}
	legalSuffix = map[string][]string{
		"en": {"Inc.", "Inc.", "LLC", "Corp.", "Ltd", "Group", ""},
		"gb": {"Ltd", "Ltd", "Ltd", "plc", "LLP", "Group"},
		"au": {"Pty Ltd", "Pty Ltd", "Group", "Ltd"},
		"de": {"GmbH", "GmbH", "GmbH", "AG", "SE", "GmbH & Co. KG"},
		"id": {"", "", "", "Tbk"},
		"fr": {"SAS", "SAS", "SA", "SARL"},
		"nl": {"B.V.", "B.V.", "B.V.", "N.V."},
		"in": {"Pvt. Ltd.", "Pvt. Ltd.", "Ltd.", "Technologies Pvt. Ltd."},
		"sg": {"Pte. Ltd.", "Pte. Ltd.", "Pte. Ltd.", "Holdings"},
		"pt": {"Ltda.", "Ltda.", "S.A.", "Eireli"},
		"ja": {"K.K.", "Co., Ltd.", "Co., Ltd.", "Holdings"},
	}
)

// Job titles. level: 0 student/intern, 1 individual contributor, 2 manager, 3 director, 4 VP or
// head of, 5 C-level or founder.
type title struct {
	name   string
	level  int
	weight float64
}

var titles = []title{
	{"CEO", 5, 3}, {"CTO", 5, 2}, {"CFO", 5, 0.8}, {"COO", 5, 1}, {"CMO", 5, 1.2}, {"CRO", 5, 0.6},
	{"Founder", 5, 2.5}, {"Co-Founder", 5, 1.5}, {"Owner", 5, 1.5}, {"President", 5, 0.5}, {"Managing Director", 5, 1},
	{"VP Sales", 4, 2.5}, {"VP Marketing", 4, 2.5}, {"VP Engineering", 4, 1}, {"VP Operations", 4, 1}, {"VP Revenue Operations", 4, 0.7},
	{"Head of Sales", 4, 2}, {"Head of Marketing", 4, 2}, {"Head of Operations", 4, 1.5}, {"Head of Growth", 4, 1.5},
	{"Head of Revenue Operations", 4, 1}, {"Head of IT", 4, 1},
	{"Director of IT", 3, 2}, {"Director of Sales", 3, 2.5}, {"Marketing Director", 3, 2}, {"Director of Business Development", 3, 1.5},
	{"Director of Operations", 3, 1.2}, {"Director of Demand Generation", 3, 1},
	{"Marketing Manager", 2, 5}, {"Sales Manager", 2, 5}, {"Project Manager", 2, 3}, {"Product Manager", 2, 3},
	{"Account Manager", 2, 3}, {"IT Manager", 2, 2.5}, {"Operations Manager", 2, 2.5}, {"Customer Success Manager", 2, 2},
	{"Demand Generation Manager", 2, 2}, {"Sales Operations Manager", 2, 1.5}, {"Team Lead", 2, 1.5}, {"Office Manager", 2, 1},
	{"Software Engineer", 1, 4}, {"Analyst", 1, 3}, {"Business Analyst", 1, 2}, {"Data Analyst", 1, 2}, {"Consultant", 1, 3},
	{"Sales Representative", 1, 3}, {"Account Executive", 1, 3}, {"Sales Development Representative", 1, 2.5},
	{"Marketing Specialist", 1, 2.5}, {"Marketing Coordinator", 1, 2}, {"Developer", 1, 2}, {"Office Administrator", 1, 1},
	{"Designer", 1, 1}, {"Procurement Specialist", 1, 1}, {"Executive Assistant", 1, 1},
	{"Intern", 0, 1.5},
}

// Titles as a German or Indonesian form would carry them; DeriveSeniority understands them.
var localTitles = map[string]map[int][]string{
	"de": {5: {"Geschäftsführer"}, 3: {"Leiter Vertrieb", "Leiter IT", "Leiter Marketing", "Leiter Einkauf"},
		1: {"Vertriebsmitarbeiter", "Softwareentwickler", "Berater", "Sachbearbeiter"}},
	"id": {5: {"Direktur Utama"}, 3: {"Direktur Pemasaran", "Direktur Keuangan", "Direktur Operasional"},
		2: {"Manajer Pemasaran", "Manajer Penjualan", "Manajer IT"}, 1: {"Staf IT", "Staf Pemasaran", "Analis Bisnis"}},
}

// campaignDef is a campaign of a source with its share of the source's leads and its cost model:
// a monthly fixed spend plus a cost per lead.
type campaignDef struct {
	name    string
	weight  float64
	cpl     float64
	monthly float64
	note    string
}

type sourceDef struct {
	name      string
	weight    float64
	quality   float64 // how much better than average its leads convert (referrals best)
	campaigns []campaignDef
}

// Webinar and event campaigns are named after the webinar series and the trade show; the SDR
// cold-email campaign is named after the quarter. They are filled in from the schedules.
var sources = []sourceDef{
	{"web", 28, 0, []campaignDef{
		{"organic-search", 40, 0, 6000, "SEO agency retainer and content production"},
		{"blog-newsletter", 25, 0, 1500, "Newsletter platform and freelance writers"},
		{"website-contact", 25, 0, 800, "Website hosting and live chat"},
		{"review-sites", 10, 40, 500, "Review site profile and paid placements"},
	}},
	{"paid", 20, -0.1, []campaignDef{
		{"google-ads-brand", 30, 45, 0, "Google Ads: brand keywords"},
		{"google-ads-generic", 25, 160, 0, "Google Ads: generic keywords"},
		{"linkedin-lead-gen", 25, 230, 0, "LinkedIn Lead Gen Forms"},
		{"meta-retargeting", 10, 70, 0, "Meta retargeting ads"},
		{"capterra-ppc", 10, 120, 0, "Capterra pay-per-click"},
	}},
	{"webinar", 12, 0.1, nil},
	{"referral", 8, 0.5, []campaignDef{
		{"customer-referral", 60, 250, 0, "Customer referral rewards"},
		{"employee-referral", 20, 150, 0, "Employee referral bonuses"},
		{"community-slack", 20, 0, 400, "Community management"},
	}},
	{"event", 8, 0.2, nil},
	{"outbound", 14, 0.1, []campaignDef{
		{"linkedin-abm", 35, 35, 3500, "Sales Navigator seats and ABM ads"},
		{"enterprise-abm-tier1", 20, 60, 5000, "Intent data subscription and direct mail"},
	}},
	{"partner", 10, 0.2, []campaignDef{
		{"reseller-program", 40, 180, 0, "Reseller margin on sourced leads"},
		{"marketplace-listing", 30, 60, 600, "Marketplace listing fees"},
		{"integration-partners", 30, 90, 0, "Co-marketing fund"},
	}},
}

// Dynamic campaign cost models.
var (
	webinarSeriesCost = campaignDef{weight: 0, cpl: 20, monthly: 2200, note: "Webinar platform, speakers and promotion"}
	deepDiveCost      = campaignDef{weight: 0, cpl: 10, monthly: 900, note: "Monthly live product demo webinar"}
	sdrEmailCost      = campaignDef{weight: 45, cpl: 12, monthly: 1800, note: "Sequencing tool and contact data"}
	partnerNames      = []string{"Northbeam Consulting", "CloudBridge Partners", "RevOps Collective", "Pipeline Pros",
		"Integrately", "Stackwise Solutions"}
)

// Trade shows the company sponsors; the schedule picks from these.
var showTemplates = []struct {
	name    string
	country string
	city    string
}{
	{"RevOps Summit", "US", "San Francisco"}, {"B2B Sales Leaders Forum", "US", "Chicago"},
	{"SaaS Connect", "GB", "London"}, {"Growth Marketing Conference", "DE", "Berlin"},
	{"Jakarta Digital Summit", "ID", "Jakarta"}, {"Demand Gen Live", "US", "New York"},
	{"B2B Marketing Expo", "AU", "Sydney"}, {"Sales Tech Week", "NL", "Amsterdam"},
	{"Customer Experience Forum", "SG", "Singapore"}, {"Toronto Tech Expo", "CA", "Toronto"},
	{"SaaS Growth Summit", "IN", "Bengaluru"}, {"Digital Commerce Days", "DE", "München"},
	{"Revenue Leaders Roundtable", "US", "Austin"}, {"Marketing Tech Forum", "FR", "Paris"},
}

var webinarTitles = []string{
	"Lead Scoring Masterclass: From Gut Feeling to Data",
	"Speed-to-Lead: Why the First Five Minutes Matter",
	"Designing a Fair Claim Pool for Your SDR Team",
	"Predictive Scoring Without a Data Science Team",
	"RevOps Metrics That Actually Matter",
	"Building an Ideal Customer Profile That Sales Trusts",
	"Gamifying Sales Without Creating a Toxic Culture",
	"Cutting Cost per SQL in Half",
	"Territory Planning for Fast-Growing Teams",
	"Nurture Programs That Recycle Lost Leads",
	"Routing Rules Deep Dive: Round-Robin, Weighted and Capacity",
	"MQL vs SQL: Getting Marketing and Sales to Agree",
}

const deepDiveTitle = "Live Product Demo: leadflow in 30 Minutes"

var blogPosts = []string{
	"lead-scoring-101", "mql-vs-sql", "speed-to-lead", "round-robin-vs-weighted-routing",
	"building-an-ideal-customer-profile", "sales-gamification-that-works", "negative-lead-scoring",
	"predictive-lead-scoring-explained", "b2b-funnel-benchmarks", "territory-planning-guide", "crm-data-hygiene",
	"webinar-follow-up-playbook", "lead-nurturing-emails", "cost-per-sql", "bant-is-not-dead",
	"intent-data-for-beginners", "sdr-onboarding-checklist", "claim-pools-vs-assignment", "lead-decay",
	"sales-and-marketing-alignment", "first-response-time-benchmarks", "scoring-model-ab-testing",
}

var productPages = []string{
	"/product/lead-scoring", "/product/routing", "/product/claim-pool", "/product/gamification", "/product/reports",
	"/features/integrations", "/integrations/salesforce", "/integrations/hubspot", "/integrations/slack",
	"/customers", "/customers/nordwind-logistik", "/customers/sinar-data", "/about", "/security", "/docs/getting-started",
	"/docs/api", "/compare/spreadsheets", "/solutions/sdr-teams", "/solutions/enterprise",
}

var careersPaths = []string{"/careers", "/careers/software-engineer", "/careers/account-executive",
	"/careers/customer-success-manager", "/careers/marketing-intern", "/careers/sales-development-representative"}

var contents = []struct {
	kind  string
	title string
}{
	{"case_study", "How Nordwind Logistik Cut Lead Response Time by 80%"},
	{"case_study", "Sinar Data: Doubling SQLs with Predictive Scoring"},
	{"case_study", "How a 40-Person SDR Team Made Lead Distribution Fair"},
	{"case_study", "Brightline Health: From Spreadsheet Routing to Real-Time Claims"},
	{"whitepaper", "The State of Lead Routing"},
	{"whitepaper", "Lead Scoring Benchmarks by Industry"},
	{"whitepaper", "Security and Data Protection at leadflow"},
	{"whitepaper", "Measuring Cost per SQL Across Channels"},
	{"ebook", "The Definitive Guide to Lead Scoring"},
	{"ebook", "The Sales Gamification Playbook"},
	{"ebook", "From MQL to Revenue: A Funnel Handbook"},
	{"ebook", "The RevOps Starter Kit"},
}

var newsletterSubjects = []string{
	"5 signs your lead scoring model is out of date", "What top SDR teams do in the first 5 minutes",
	"Benchmarks: how fast do B2B teams respond?", "The hidden cost of unfair lead routing",
	"New: explainable scores for every lead", "Your funnel has a leak. Here's where.",
	"Is BANT still the right qualification framework?", "Webinar recap and slides inside",
	"How to stop sales from ignoring MQLs", "Intent data: hype or help?",
	"Three nurture emails that recycle lost leads", "Gamification without the toxicity",
}

var competitors = []string{"PipeRocket", "Closewise", "FunnelForge", "LeadLoop", "SalesHive Pro"}

var intentTopics = []string{"lead scoring software", "lead routing software", "sales gamification",
	"sales engagement platform", "crm lead management", "revenue operations tools"}

var productFeatures = []string{"lead_import", "scoring_rules", "routing_rules", "claim_pool", "leaderboard",
	"reports", "integrations", "api", "webhooks"}

var supportSubjects = map[string][]string{
	"billing":   {"Invoice address change", "Question about VAT on invoice", "Card declined on renewal", "Switch to annual billing"},
	"sales":     {"Pricing for 50 seats", "Do you offer a non-profit discount?", "Need a security questionnaire filled", "Volume pricing question"},
	"technical": {"CSV import fails on row 312", "Salesforce sync not updating owner", "Webhook signature mismatch", "SSO login loop", "API rate limit questions"},
}

// Reasons a sales team records when it closes a lead.
type reason struct {
	text   string
	weight float64
}

var lostReasons = []reason{
	{"no budget", 25}, {"competitor chosen", 25}, {"no decision", 15}, {"bad timing", 12}, {"went silent", 12},
	{"price too high", 8}, {"contact left company", 6},
}

var disqualifyReasons = []reason{
	{"no fit", 30}, {"invalid contact details", 15}, {"job seeker", 10}, {"works for a competitor", 8},
	{"duplicate", 6}, {"not a decision maker", 12}, {"outside sales territory", 5},
}

var nurtureReasons = []string{"not ready to buy", "revisit next quarter", "budget next fiscal year", "early research"}
