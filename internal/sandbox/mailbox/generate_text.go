package mailbox

// The word stock of generated mailboxes: names, subjects and sentences in
// the languages whose charsets a mailbox meets (English, German and French
// in ISO-8859-1, Japanese in ISO-2022-JP and Shift_JIS, Russian in KOI8-R,
// Chinese and Russian in UTF-8).

type locale uint8

const (
	locEN locale = iota
	locDE
	locFR
	locJA
	locRU
	locZH
	numLocales
)

// name is a person's name as written and as an ASCII address part.
type name struct{ text, ascii string }

var firstNames = [numLocales][]name{
	locEN: {{"Olivia", "olivia"}, {"Liam", "liam"}, {"Emma", "emma"}, {"Noah", "noah"}, {"Ava", "ava"}, {"James", "james"},
		{"Sophia", "sophia"}, {"Lucas", "lucas"}, {"Mia", "mia"}, {"Henry", "henry"}, {"Amelia", "amelia"}, {"Ethan", "ethan"},
		{"Harper", "harper"}, {"Daniel", "daniel"}, {"Chloé", "chloe"}, {"Priya", "priya"}, {"Mateo", "mateo"}, {"Zoë", "zoe"}},
	locDE: {{"Jürgen", "juergen"}, {"Käthe", "kaethe"}, {"Lukas", "lukas"}, {"Sophie", "sophie"}, {"Maximilian", "maximilian"},
		{"Hannah", "hannah"}, {"Jörg", "joerg"}, {"Anja", "anja"}, {"Björn", "bjoern"}, {"Lena", "lena"}},
	locFR: {{"Amélie", "amelie"}, {"François", "francois"}, {"Léa", "lea"}, {"Hélène", "helene"}, {"Théo", "theo"},
		{"Céline", "celine"}, {"Jérôme", "jerome"}, {"Maëlle", "maelle"}, {"Noël", "noel"}, {"Inès", "ines"}},
	locJA: {{"由紀", "yuki"}, {"健太", "kenta"}, {"美咲", "misaki"}, {"翔太", "shota"}, {"陽菜", "hina"}, {"大輔", "daisuke"},
		{"さくら", "sakura"}, {"拓海", "takumi"}},
	locRU: {{"Иван", "ivan"}, {"Ольга", "olga"}, {"Дмитрий", "dmitry"}, {"Анна", "anna"}, {"Сергей", "sergey"},
		{"Наталья", "natalya"}, {"Алексей", "alexey"}, {"Екатерина", "ekaterina"}},
	locZH: {{"丽", "li"}, {"伟", "wei"}, {"芳", "fang"}, {"强", "qiang"}, {"静", "jing"}, {"磊", "lei"}, {"婷", "ting"}, {"军", "jun"}},
}

var lastNames = [numLocales][]name{
	locEN: {{"Smith", "smith"}, {"Johnson", "johnson"}, {"Okafor", "okafor"}, {"Nguyen", "nguyen"}, {"Garcia", "garcia"},
		{"Patel", "patel"}, {"O'Brien", "obrien"}, {"Kowalski", "kowalski"}, {"Andersen", "andersen"}, {"Rossi", "rossi"},
		{"Brown", "brown"}, {"Lee", "lee"}, {"Walker", "walker"}, {"Martínez", "martinez"}},
	locDE: {{"Müller", "mueller"}, {"Schröder", "schroeder"}, {"Weiß", "weiss"}, {"Krüger", "krueger"}, {"Hoffmann", "hoffmann"},
		{"Bäcker", "baecker"}, {"Schäfer", "schaefer"}, {"Fuchs", "fuchs"}},
	locFR: {{"Lefèvre", "lefevre"}, {"Dubois", "dubois"}, {"Moreau", "moreau"}, {"Bérenger", "berenger"}, {"Girard", "girard"},
		{"Rousseau", "rousseau"}, {"Faure", "faure"}, {"Lemaître", "lemaitre"}},
	locJA: {{"田中", "tanaka"}, {"佐藤", "sato"}, {"鈴木", "suzuki"}, {"高橋", "takahashi"}, {"渡辺", "watanabe"},
		{"伊藤", "ito"}, {"山本", "yamamoto"}, {"中村", "nakamura"}},
	locRU: {{"Соколов", "sokolov"}, {"Иванова", "ivanova"}, {"Попов", "popov"}, {"Кузнецова", "kuznetsova"},
		{"Смирнов", "smirnov"}, {"Волкова", "volkova"}},
	locZH: {{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"}},
}

var domains = [numLocales][]string{
	locEN: {"example.com", "example.org", "example.net", "acme.example", "northwind.example", "gmail.example"},
	locDE: {"example.de", "firma.example", "beispiel.example"},
	locFR: {"example.fr", "societe.example"},
	locJA: {"example.jp", "kaisha.example"},
	locRU: {"example.ru", "kompaniya.example"},
	locZH: {"example.cn", "gongsi.example"},
}

// Projects and places give subjects and bodies words worth searching for.
var projects = []string{"Apollo", "Zephyr", "Orion", "Nimbus", "Kestrel", "Halcyon", "Juniper", "Tundra", "Meridian", "Quasar"}

var places = []string{"Lisbon", "Osaka", "Toronto", "Nairobi", "Reykjavik", "Valparaíso", "Kraków", "Hanoi", "Zürich", "Montréal"}

// subjects are thread subjects per locale; %P is a project, %L a place.
var subjects = [numLocales][]string{
	locEN: {"%P: planning for next quarter", "Lunch on Friday?", "%P status update", "Draft contract for %P", "Trip to %L",
		"Question about the %P budget", "Team offsite in %L", "Quick favour", "Notes from today's %P sync", "Hiring plan for %P",
		"Invoice #%N", "Can you review this?", "Weekend plans", "%P launch checklist", "Feedback on the %P demo",
		"Moving the %P review to Thursday", "Photos from %L", "Book club: next pick", "Re-org of the %P team", "Your talk in %L"},
	locDE: {"Angebot für %P", "Besprechung am Donnerstag", "Rückfrage zur Rechnung %N", "Urlaubsplanung %L", "Protokoll der %P-Sitzung",
		"Änderungen am Vertrag", "Grüße aus %L"},
	locFR: {"Réunion de lundi sur %P", "Devis pour %P", "Vacances à %L", "Compte rendu de la réunion", "Question sur la facture %N",
		"Déjeuner la semaine prochaine ?", "Nouvelles de %L"},
	locJA: {"%Pの打ち合わせについて", "来週の会議の件", "見積書の送付（%N）", "%L出張のご案内", "議事録の共有", "お疲れ様です", "%Pプロジェクト進捗報告"},
	locRU: {"Отчёт по проекту %P", "Встреча в четверг", "Счёт %N", "Поездка в %L", "Вопрос по договору", "Планы на выходные"},
	locZH: {"关于%P项目的会议", "下周的安排", "发票 %N", "%L出差计划", "会议纪要", "周末聚餐"},
}

var greetings = [numLocales][]string{
	locEN: {"Hi %F,", "Hello %F,", "Hey %F,", "Dear %F,", "%F,"},
	locDE: {"Hallo %F,", "Liebe Grüße vorab, %F,", "Sehr geehrte/r %F,", "Moin %F,"},
	locFR: {"Bonjour %F,", "Salut %F,", "Chère/Cher %F,"},
	locJA: {"%Fさん", "%F様", "%Fさん、お疲れ様です。"},
	locRU: {"Привет, %F!", "Здравствуйте, %F!", "Добрый день, %F,"},
	locZH: {"%F，你好：", "%F您好，", "嗨 %F，"},
}

var signoffs = [numLocales][]string{
	locEN: {"Thanks,", "Best,", "Cheers,", "Talk soon,", "Regards,", "— "},
	locDE: {"Viele Grüße", "Beste Grüße", "Mit freundlichen Grüßen", "Schöne Grüße"},
	locFR: {"Bien à vous,", "Cordialement,", "À bientôt,", "Bisous,"},
	locJA: {"よろしくお願いいたします。", "以上です。", "引き続きよろしくお願いします。"},
	locRU: {"С уважением,", "Спасибо,", "До встречи,"},
	locZH: {"谢谢！", "此致敬礼", "祝好，"},
}

// sentences are body sentences per locale; %P, %L and %N as in subjects,
// %D a weekday.
var sentences = [numLocales][]string{
	locEN: {
		"I've attached the latest numbers for %P; the trend looks good.",
		"Could we move our call to %D afternoon?",
		"The vendor in %L confirmed the shipment for next week.",
		"Let me know if anything in the draft needs another pass.",
		"We're still waiting on legal for the final sign-off.",
		"I think the timeline is tight but doable if we cut the reporting feature.",
		"Thanks for the quick turnaround on this — really appreciated.",
		"The budget for %P is about 12% over, mostly travel.",
		"Sarah suggested we invite the %L office to the kickoff.",
		"Can you check whether invoice %N was paid?",
		"I booked the room for %D at 10:00.",
		"Happy to help with the slides if you send me an outline.",
		"The test results from last night are in the shared folder.",
		"We need a decision on the pricing model before %D.",
		"Flights to %L are cheaper if we leave on a Tuesday.",
		"My notes from the meeting are below; corrections welcome.",
		"Heads up: the staging server will be down on %D for maintenance.",
		"I'm out of office until %D, but reachable by phone.",
		"The customer loved the demo and asked about a pilot in %L.",
		"Do we have a fallback if the API quota runs out again?",
		"The café near the office now opens at 7 — perfect for early standups.",
		"Please don't forward this outside the team yet.",
		"Looping in Priya, who owns the %P integration.",
		"Remember to submit your expenses by the end of the month.",
	},
	locDE: {
		"Anbei die überarbeitete Fassung des Angebots für %P.",
		"Können wir den Termin auf %D verschieben?",
		"Die Lieferung nach %L verzögert sich leider um eine Woche.",
		"Bitte prüfen Sie die Rechnung %N, die Beträge stimmen nicht überein.",
		"Ich bin ab Montag wieder im Büro und melde mich dann.",
		"Das Budget für %P ist fast ausgeschöpft.",
		"Für Rückfragen stehe ich gerne zur Verfügung.",
		"Die Präsentation liegt im gemeinsamen Ordner.",
		"Wir müssen bis %D über die Preisgestaltung entscheiden.",
		"Schöne Grüße aus %L, das Wetter ist großartig.",
	},
	locFR: {
		"Vous trouverez ci-joint la dernière version du devis pour %P.",
		"Pouvons-nous décaler la réunion à %D ?",
		"La livraison à %L est prévue pour la semaine prochaine.",
		"Merci de vérifier la facture %N avant vendredi.",
		"Je serai absent jusqu'à %D, mais joignable par téléphone.",
		"Le budget de %P est presque épuisé, il faut en discuter.",
		"Les résultats des tests sont dans le dossier partagé.",
		"Il fait un temps magnifique à %L, à bientôt !",
		"N'hésitez pas à me contacter pour toute question.",
		"Le café près du bureau ouvre désormais à 7 h.",
	},
	locJA: {
		"%Pの資料を添付いたしますので、ご確認ください。",
		"来週の%D、打ち合わせの時間を変更できますか。",
		"%Lの取引先から出荷の確認がありました。",
		"請求書%Nの金額について確認させてください。",
		"明日は在宅勤務ですが、メールで対応可能です。",
		"予算が少し超過しているため、調整が必要です。",
		"議事録を共有フォルダに保存しました。",
		"お忙しいところ恐れ入りますが、ご検討のほどお願いいたします。",
		"次回の会議は%Dの午後を予定しています。",
		"テスト結果は良好でした。",
	},
	locRU: {
		"Во вложении последняя версия отчёта по проекту %P.",
		"Можем ли мы перенести встречу на %D?",
		"Поставка в %L задерживается на неделю.",
		"Пожалуйста, проверьте счёт %N до пятницы.",
		"Бюджет проекта почти исчерпан.",
		"Результаты тестов в общей папке.",
		"Буду в офисе с понедельника.",
		"Погода в %L отличная, привет всем!",
	},
	locZH: {
		"附件是%P项目的最新报告，请查收。",
		"我们可以把会议改到%D吗？",
		"%L的供应商确认了下周发货。",
		"请在周五之前核对发票%N。",
		"预算已经快用完了，需要讨论一下。",
		"测试结果已经放在共享文件夹里了。",
		"我下周一回办公室。",
		"%L的天气很好，大家好！",
	},
}

var weekdays = [numLocales][]string{
	locEN: {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"},
	locDE: {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"},
	locFR: {"lundi", "mardi", "mercredi", "jeudi", "vendredi"},
	locJA: {"月曜日", "火曜日", "水曜日", "木曜日", "金曜日"},
	locRU: {"понедельник", "вторник", "среду", "четверг", "пятницу"},
	locZH: {"周一", "周二", "周三", "周四", "周五"},
}

// sender is an organisation that writes bulk mail.
type sender struct {
	name, email string
	loc         locale
	kind        threadKind
	topics      []string // subjects; %P, %L, %N as above
}

var senders = []sender{
	{"The Engine Weekly", "newsletter@engine-weekly.example", locEN, kindNews, []string{"This week: %P, %L and the new release", "Issue %N: what we learned from %P", "The best of %L this month"}},
	{"Brass & Gears Supply", "offers@brassgears.example", locEN, kindNews, []string{"Spring sale: 20% off everything", "New arrivals for %P fans", "Last chance: free shipping ends today"}},
	{"Technik Rundbrief", "rundbrief@technik.example", locDE, kindNews, []string{"Neuigkeiten zu %P", "Ausgabe %N: Rückblick und Ausblick"}},
	{"テック通信", "news@tech-tsushin.example", locJA, kindNews, []string{"今週のニュース：%P", "第%N号 特集：%L"}},
	{"Northwind Bank", "alerts@northwind-bank.example", locEN, kindNotify, []string{"Your statement is ready", "A payment of $%N was made", "New sign-in to your account"}},
	{"SkyWays", "bookings@skyways.example", locEN, kindNotify, []string{"Your trip to %L: booking confirmed", "Check in now for your flight to %L"}},
	{"Brass & Gears Orders", "orders@brassgears.example", locEN, kindReceipt, []string{"Your order #%N has shipped", "Receipt for order #%N"}},
	{"CodeHub", "notifications@codehub.example", locEN, kindNotify, []string{"[%P] Pull request #%N: fix flaky test", "[%P] Issue #%N: crash on start", "[%P] Release v%N published"}},
	{"Calendar", "calendar-notification@example.com", locEN, kindNotify, []string{"Reminder: %P review @ %D", "Updated invitation: %P sync"}},
	{"Bahn Reisen", "buchung@bahn.example", locDE, kindReceipt, []string{"Ihre Fahrkarte nach %L", "Buchungsbestätigung %N"}},
	{"FriendNet", "notify@friendnet.example", locEN, kindSocial, []string{"%F tagged you in a photo", "You have %N new connection requests", "%F commented on your post"}},
	{"golang-nuts", "golang-nuts@lists.example", locEN, kindForum, []string{"[golang-nuts] %P: generics and iterators", "[golang-nuts] Proposal: %P", "[golang-nuts] Build fails on %L mirror"}},
	{"dev-%P list", "dev@lists.example", locEN, kindForum, []string{"[dev] RFC: %P storage format", "[dev] Meeting notes %N"}},
	{"Prize Center", "winner@lottery.example", locEN, kindSpam, []string{"You have WON $%N!!!", "Claim your prize now", "URGENT: verify your account"}},
	{"Ｄｉｓｃｏｕｎｔ", "sale@cheap-pills.example", locJA, kindSpam, []string{"限定オファー！今すぐクリック", "当選のお知らせ"}},
}

var newsParagraphs = []string{
	"Our editors picked the stories you shouldn't miss this week.",
	"A deep dive into how %P cut its build times in half.",
	"Meet the team in %L that is rethinking public transport.",
	"Plus: five tools we can't stop using, and a reader's question answered.",
	"Members save an extra 10% with code SPRING — today only.",
	"You are receiving this email because you subscribed at our website.",
}

var imageAlts = []string{"Spring sale banner", "Photo of the %L skyline", "Chart: %P adoption over time", "Company logo", "Product shot"}
