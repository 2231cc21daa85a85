"""The word lists behind the cache guards (`guards.py`): closed lists, relation words, negations, number words.

Every entry is written as a shopper would type it; `guards.py` folds and tokenizes it the way it tokenizes a
question, so "x-large", "women's" and "3XL" are written here as they are. Lists are deliberately broad and general
(every colour, country or payment method a store may be asked about), never phrases from any evaluation set.

Shapes:
- `LISTS`: category -> canonical value -> synonyms. Two questions must name the same set of values in every category
  (like numbers): "in red" / "in blue" differ, so do "in red" / "in any colour".
- `RELATIONS`: class -> value -> synonyms. Two questions differ only when both name a value of the class and they
  share none: "over $50" / "under $50" differ, "over $50" / "from $50" do not.
- `CONDITIONAL`: entries that count only in context ("may" is a month only as "in May", "May 5"; "over" is a
  comparison only before a number).
- `NEGATIONS` count as one negation each; `NEUTRAL` phrases consume their words and mean nothing to the guards
  ("no problem", "used to", "whether or not").
"""

from __future__ import annotations

from typing import Final

# ---------------------------------------------------------------------------------------------------------------
# Closed lists: compared like numbers

_COLOUR_BASES: Final = (
    "black", "white", "red", "blue", "green", "yellow", "orange", "purple", "pink", "brown", "grey", "beige",
    "navy", "teal", "turquoise", "maroon", "burgundy", "olive", "khaki", "tan", "ivory", "gold", "silver",
    "charcoal", "lavender", "lilac", "mint", "coral", "peach", "mustard", "magenta", "fuchsia", "cyan", "indigo",
    "violet", "aqua", "lime", "sage", "cobalt", "crimson", "scarlet", "plum", "mauve", "taupe", "blush", "nude",
    "camel", "bronze", "copper", "champagne", "graphite", "slate", "emerald", "ruby", "sapphire", "jade",
    "rose gold", "space grey", "offwhite", "multicolour", "transparent", "blonde", "brunette", "auburn",
)  # fmt: skip
_COLOUR_SYNONYMS: Final = {
    "grey": "gray",
    "navy": "navy blue",
    "olive": "olive green",
    "ivory": "eggshell",
    "gold": "golden",
    "mint": "mint green",
    "lime": "lime green",
    "sage": "sage green",
    "emerald": "emerald green",
    "space grey": "space gray",
    "multicolour": "multicolor|multicoloured|multicolored|multi colour|multi color|rainbow",
    "transparent": "see through|see-through",
    "blonde": "blond",
    "light blue": "sky blue|baby blue|pale blue|powder blue",
    "dark blue": "royal blue|midnight blue",
    "dark green": "forest green|bottle green|hunter green",
    "light grey": "light gray|silver grey|silver gray",
    "dark grey": "dark gray|charcoal grey|charcoal gray",
    "dark brown": "chocolate brown",
}
_COLOUR_SHADES: Final = ("light", "dark", "pale", "bright", "deep", "neon", "pastel", "dusty", "hot")
_SHADED: Final = ("blue", "green", "grey", "pink", "brown", "red", "purple", "yellow", "orange")

SIZES: Final = {
    "xxs": "2xs|xx-small|xx small|extra extra small",
    "xs": "x-small|x small|extra small",
    "small": "",
    "medium": "",
    "large": "",
    "xl": "x-large|x large|extra large|1xl",
    "xxl": "2xl|xx-large|xx large|extra extra large",
    "xxxl": "3xl|xxx-large|xxx large",
    "4xl": "xxxxl",
    "5xl": "xxxxxl",
    "petite": "petites",
    "plus size": "plus sizes|plus-size|plus sized|curvy",
    "tall": "tall sizes|tall size|tall fit",
    "big and tall": "big & tall",
    "one size": "one-size|one size fits all|one-size-fits-all",
    "king": "king size|king-size|kingsize",
    "california king": "cal king",
    "queen": "queen size|queen-size",
    "twin": "twin size|twin xl",
    "wide": "wide fit|wide width|extra wide|wide feet|wide sizes|wide size",
    "narrow": "narrow fit|narrow width|narrow feet",
}

AUDIENCES: Final = {
    "men": "mens|man|male|males|gents|gentlemen|husband|boyfriend|dad|father|grandpa|grandfather|brother",
    "women": "womens|woman|ladies|lady|female|females|wife|girlfriend|mom|mum|mother|grandma|grandmother|sister",
    "kids": "kid|children|child|childrens|youth|junior|juniors|little ones",
    "boys": "boy|son|sons",
    "girls": "girl|daughter|daughters",
    "baby": "babies|infant|infants|newborn|newborns",
    "toddler": "toddlers",
    "teen": "teens|teenager|teenagers|tween|tweens",
    "adult": "adults|grown up|grown-up|grown ups|grownups",
    "unisex": "gender neutral|gender-neutral",
    "senior": "seniors|elderly",
    "maternity": "pregnant|pregnancy|nursing",
    "dog": "dogs|puppy|puppies|canine",
    "cat": "cats|kitten|kittens|feline",
    "bird": "birds|parrot|parrots",
    "rabbit": "rabbits|bunny|bunnies",
    "horse": "horses",
}

MATERIALS: Final = {
    "cotton": "cotton blend",
    "organic cotton": "",
    "wool": "woollen|woolen|wool blend",
    "merino": "merino wool",
    "cashmere": "",
    "alpaca": "",
    "mohair": "",
    "silk": "",
    "linen": "",
    "leather": "genuine leather|real leather|full grain leather|full-grain leather",
    "faux leather": "vegan leather|pu leather|pleather|synthetic leather|leatherette|fake leather",
    "suede": "",
    "faux suede": "",
    "faux fur": "fake fur",
    "fur": "real fur",
    "denim": "",
    "polyester": "",
    "nylon": "",
    "spandex": "elastane|lycra",
    "rayon": "viscose",
    "acrylic": "",
    "fleece": "",
    "velvet": "velour",
    "satin": "",
    "canvas": "",
    "bamboo": "",
    "hemp": "",
    "jute": "",
    "plastic": "",
    "metal": "",
    "steel": "",
    "stainless steel": "stainless",
    "aluminium": "aluminum",
    "titanium": "",
    "cast iron": "cast-iron|wrought iron",
    "brass": "",
    "platinum": "",
    "sterling silver": "",
    "tungsten": "",
    "wood": "wooden|solid wood",
    "oak": "",
    "pine": "",
    "walnut": "",
    "teak": "",
    "maple": "",
    "mahogany": "",
    "cedar": "",
    "mdf": "particleboard|particle board",
    "plywood": "",
    "glass": "tempered glass",
    "ceramic": "ceramics",
    "porcelain": "",
    "stoneware": "",
    "rubber": "",
    "silicone": "",
    "latex": "",
    "foam": "",
    "memory foam": "",
    "down fill": "goose down|duck down|down filled|down-filled|down feather",
    "feather": "feathers",
    "marble": "",
    "granite": "",
    "quartz": "",
    "concrete": "",
    "paper": "",
    "cardboard": "",
    "vinyl": "pvc",
    "resin": "epoxy",
    "carbon fibre": "carbon fiber",
    "fiberglass": "fibreglass",
    "gore-tex": "goretex",
    "tweed": "",
    "corduroy": "",
    "chiffon": "",
    "lace": "",
    "mesh": "",
    "microfibre": "microfiber",
    "sherpa": "",
    "neoprene": "",
    "cork": "",
    "rattan": "wicker",
    "clay": "",
}

# Model variants and plan tiers: "ZX-500" and "ZX-500 Pro" are different products.
VARIANTS: Final = {
    "pro": "",
    "ultra": "",
    "lite": "light edition",
    "deluxe": "",
    "mini": "",
    "limited edition": "",
    "special edition": "",
    "collector's edition": "collectors edition",
    "anniversary edition": "",
}

_WEEKDAYS: Final = {
    "monday": "mon",
    "tuesday": "tue|tues",
    "wednesday": "wed",
    "thursday": "thu|thur|thurs",
    "friday": "fri",
    "saturday": "",
    "sunday": "",
}
_MONTHS: Final = {
    "january": "jan",
    "february": "feb",
    "march": "",
    "april": "apr",
    "june": "jun",
    "july": "jul",
    "august": "aug",
    "september": "sept|sep",
    "october": "oct",
    "november": "nov",
    "december": "dec",
}
TIME: Final = {
    "today": "",
    "tonight": "",
    "tomorrow": "tmrw|tmr|day after tomorrow",
    "yesterday": "",
    "weekend": "weekends|saturdays and sundays",
    "weekday": "weekdays",
    "morning": "mornings",
    "afternoon": "afternoons",
    "evening": "evenings",
    "night": "nights",
    "noon": "midday|lunchtime|lunch time",
    "midnight": "",
    "spring": "",
    "summer": "",
    "autumn": "",
    "winter": "",
    "holiday": "holidays|holiday season|public holiday|public holidays|bank holiday|bank holidays|"
    "federal holiday|federal holidays|national holiday|national holidays",
    "christmas": "xmas|x-mas|christmas day|christmastime",
    "christmas eve": "",
    "boxing day": "",
    "new year": "new years|new year's day|new years day",
    "new year's eve": "new years eve|nye",
    "thanksgiving": "thanksgiving day",
    "black friday": "",
    "cyber monday": "",
    "easter": "easter sunday",
    "good friday": "",
    "easter monday": "",
    "halloween": "",
    "valentine's day": "valentines day|valentine's|valentines|valentine",
    "mother's day": "mothers day|mother day",
    "father's day": "fathers day|father day",
    "independence day": "4th of july|fourth of july|july 4th|july fourth|july 4",
    "labor day": "labour day",
    "memorial day": "",
    "veterans day": "veteran's day",
    "presidents day": "president's day|presidents' day",
    "mlk day": "martin luther king day",
    "juneteenth": "",
    "columbus day": "indigenous peoples day",
    "canada day": "",
    "australia day": "",
    "bastille day": "",
    "st patrick's day": "st. patrick's day|saint patrick's day|st patricks day|st paddy's day",
    "hanukkah": "chanukah|hanukah",
    "diwali": "deepavali",
    "eid": "eid al-fitr|eid al fitr|eid al-adha|eid al adha",
    "ramadan": "",
    "lunar new year": "chinese new year",
    "passover": "",
    "rosh hashanah": "",
    "yom kippur": "",
    "kwanzaa": "",
    "prime day": "",
    "singles day": "singles' day",
    "back to school": "back-to-school",
}

_COUNTRIES: Final = (
    "afghanistan", "albania", "algeria", "andorra", "angola", "argentina", "armenia", "australia", "austria",
    "azerbaijan", "bahamas", "bahrain", "bangladesh", "barbados", "belarus", "belgium", "belize", "benin", "bhutan",
    "bolivia", "bosnia", "botswana", "brazil", "brunei", "bulgaria", "burkina faso", "burundi", "cambodia",
    "cameroon", "canada", "cape verde", "chile", "china", "colombia", "congo", "costa rica", "croatia", "cuba",
    "cyprus", "denmark", "djibouti", "dominica", "dominican republic", "ecuador", "egypt", "el salvador", "eritrea",
    "estonia", "eswatini", "ethiopia", "fiji", "finland", "france", "gabon", "gambia", "georgia", "germany", "ghana",
    "greece", "grenada", "guatemala", "guyana", "haiti", "honduras", "hungary", "iceland", "india", "indonesia",
    "iran", "iraq", "ireland", "israel", "italy", "jamaica", "japan", "kazakhstan", "kenya", "kosovo", "kuwait",
    "kyrgyzstan", "laos", "latvia", "lebanon", "lesotho", "liberia", "libya", "liechtenstein", "lithuania",
    "luxembourg", "madagascar", "malawi", "malaysia", "maldives", "mali", "malta", "mauritania", "mauritius",
    "mexico", "moldova", "monaco", "mongolia", "montenegro", "morocco", "mozambique", "myanmar", "namibia", "nepal",
    "new zealand", "nicaragua", "nigeria", "north korea", "north macedonia", "norway", "oman", "pakistan", "panama",
    "papua new guinea", "paraguay", "peru", "philippines", "poland", "portugal", "qatar", "romania", "russia",
    "rwanda", "samoa", "san marino", "saudi arabia", "senegal", "serbia", "seychelles", "sierra leone", "singapore",
    "slovakia", "slovenia", "somalia", "south africa", "south korea", "south sudan", "spain", "sri lanka", "sudan",
    "suriname", "sweden", "switzerland", "syria", "taiwan", "tajikistan", "tanzania", "thailand", "togo", "tonga",
    "trinidad", "tunisia", "turkey", "turkmenistan", "uganda", "ukraine", "uruguay", "uzbekistan", "vanuatu",
    "vatican", "venezuela", "vietnam", "yemen", "zambia", "zimbabwe", "greenland", "faroe islands", "gibraltar",
    "bermuda", "cayman islands", "aruba", "curacao", "martinique", "guadeloupe", "new caledonia",
    "french polynesia", "macau", "hong kong",
)  # fmt: skip
_US_STATES: Final = (
    "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware", "florida",
    "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky", "louisiana", "maine", "maryland",
    "massachusetts", "michigan", "minnesota", "mississippi", "missouri", "montana", "nebraska", "nevada",
    "new hampshire", "new jersey", "new mexico", "new york", "north carolina", "north dakota", "ohio", "oklahoma",
    "oregon", "pennsylvania", "rhode island", "south carolina", "south dakota", "tennessee", "texas", "utah",
    "vermont", "virginia", "washington", "west virginia", "wisconsin", "wyoming", "puerto rico", "guam",
    "virgin islands", "american samoa", "washington dc", "district of columbia",
)  # fmt: skip
_PROVINCES: Final = (
    "ontario", "quebec", "british columbia", "alberta", "manitoba", "saskatchewan", "nova scotia", "new brunswick",
    "newfoundland", "prince edward island", "yukon", "nunavut", "northwest territories", "tasmania", "queensland",
    "new south wales", "victoria", "western australia", "south australia", "scotland", "wales", "northern ireland",
    "england", "bavaria", "catalonia", "sicily", "sardinia", "corsica", "canary islands", "balearic islands",
    "azores", "madeira",
)  # fmt: skip
_CITIES: Final = (
    "london", "paris", "berlin", "madrid", "rome", "milan", "amsterdam", "dublin", "toronto", "vancouver", "montreal",
    "calgary", "ottawa", "sydney", "melbourne", "brisbane", "perth", "auckland", "tokyo", "osaka", "seoul",
    "beijing", "shanghai", "shenzhen", "mumbai", "delhi", "new delhi", "bangalore", "chennai", "kolkata", "dubai",
    "abu dhabi", "riyadh", "doha", "istanbul", "tel aviv", "cairo", "lagos", "nairobi", "johannesburg", "cape town",
    "bangkok", "manila", "jakarta", "kuala lumpur", "hanoi", "ho chi minh city", "taipei", "mexico city",
    "sao paulo", "rio de janeiro", "buenos aires", "lima", "bogota", "santiago", "new york city", "nyc",
    "los angeles", "chicago", "houston", "dallas", "san antonio", "san diego", "san francisco", "san jose",
    "seattle", "portland", "boston", "miami", "orlando", "tampa", "atlanta", "denver", "phoenix", "las vegas",
    "philadelphia", "detroit", "minneapolis", "nashville", "new orleans", "salt lake city", "brooklyn", "manhattan",
    "manchester", "birmingham", "liverpool", "leeds", "glasgow", "edinburgh", "cardiff", "belfast", "bristol",
    "munich", "frankfurt", "hamburg", "cologne", "vienna", "zurich", "geneva", "brussels", "antwerp", "copenhagen",
    "stockholm", "oslo", "helsinki", "lisbon", "porto", "barcelona", "valencia", "seville", "prague", "warsaw",
    "krakow", "budapest", "athens", "bucharest", "sofia", "zagreb", "kyiv", "moscow", "marseille", "lyon",
    "florence", "venice", "naples", "rotterdam",
)  # fmt: skip
_PLACE_SYNONYMS: Final = {
    "us": "usa|u.s.|u.s.a.|united states|united states of america|america|stateside|continental us|"
    "lower 48|contiguous us",
    "uk": "u.k.|united kingdom|great britain|britain",
    "europe": "eu|european union|e.u.",
    "netherlands": "holland",
    "south korea": "korea",
    "czechia": "czech republic",
    "ivory coast": "cote d'ivoire",
    "uae": "united arab emirates|emirates",
    "bosnia": "bosnia and herzegovina",
    "trinidad": "trinidad and tobago",
    "vatican": "vatican city",
    "myanmar": "burma",
    "eswatini": "swaziland",
    "new york city": "nyc",
    "washington dc": "d.c.|dc",
}
_REGIONS: Final = (
    "asia", "africa", "south america", "north america", "central america", "latin america", "middle east",
    "oceania", "scandinavia", "nordics", "caribbean", "balkans", "baltics", "southeast asia", "east asia",
    "eastern europe", "western europe", "mainland", "po box", "p.o. box", "apo", "fpo", "military address",
)  # fmt: skip
_LANGUAGES: Final = {
    "english": "",
    "spanish": "espanol|español",
    "french": "francais|français",
    "german": "deutsch",
    "italian": "",
    "portuguese": "",
    "dutch": "",
    "swedish": "",
    "norwegian": "",
    "danish": "",
    "finnish": "",
    "polish": "",
    "russian": "",
    "ukrainian": "",
    "greek": "",
    "turkish": "",
    "arabic": "",
    "hebrew": "",
    "hindi": "",
    "bengali": "",
    "urdu": "",
    "chinese": "mandarin|cantonese",
    "japanese": "",
    "korean": "",
    "vietnamese": "",
    "thai": "",
    "indonesian": "",
    "tagalog": "filipino",
}
# Demonyms that are no language name their country: "Canadian addresses" is about Canada.
_DEMONYMS: Final = {
    "canada": "canadian",
    "us": "american",
    "uk": "british",
    "australia": "australian",
    "mexico": "mexican",
    "europe": "european",
    "ireland": "irish",
    "scotland": "scottish",
    "india": "indian",
    "brazil": "brazilian",
    "new zealand": "kiwi",
}

PAYMENTS: Final = {
    "paypal": "pay pal",
    "venmo": "",
    "zelle": "",
    "cash app": "cashapp",
    "apple pay": "applepay",
    "google pay": "gpay|android pay",
    "samsung pay": "",
    "amazon pay": "",
    "shop pay": "shopify pay",
    "klarna": "",
    "afterpay": "",
    "affirm": "",
    "sezzle": "",
    "zip pay": "quadpay|zippay",
    "clearpay": "",
    "laybuy": "",
    "alipay": "",
    "wechat pay": "wechat",
    "sofort": "",
    "bancontact": "",
    "giropay": "",
    "interac": "e-transfer|etransfer",
    "upi": "",
    "paytm": "",
    "pix": "",
    "boleto": "",
    "m-pesa": "mpesa",
    "credit card": "credit cards|creditcard",
    "debit card": "debit cards|debitcard",
    "prepaid card": "prepaid cards",
    "visa": "",
    "mastercard": "master card",
    "amex": "american express",
    "discover card": "",
    "jcb": "",
    "diners club": "",
    "maestro": "",
    "unionpay": "union pay",
    "gift card": "gift cards|giftcard|giftcards|gift certificate|gift certificates|gift voucher|gift vouchers|"
    "e-gift card|egift card|egift|e-gift",
    "coupon": "coupons|promo code|promo codes|promo|discount code|discount codes|coupon code|coupon codes|voucher|"
    "vouchers|voucher code|promotional code|promotion code",
    "store credit": "store credits|shop credit|account credit|credit balance|store voucher",
    "points": "reward points|rewards points|loyalty points|rewards|reward",
    "cash": "",
    "cash on delivery": "cod|pay on delivery",
    "cheque": "cheques|pay by check|by check|money order|money orders",
    "bank transfer": "wire transfer|bank wire|ach|direct debit|sepa|bank deposit",
    "crypto": "cryptocurrency|cryptocurrencies|bitcoin|btc|ethereum|usdc",
    "installments": "instalments|installment|instalment|payment plan|payment plans|financing|pay later|"
    "buy now pay later|bnpl|pay in installments|pay over time|monthly payments|layaway|lay-by",
}

CARRIERS: Final = {
    "ups": "",
    "usps": "postal service",
    "fedex": "fed ex",
    "dhl": "",
    "royal mail": "",
    "canada post": "",
    "australia post": "auspost",
    "dpd": "",
    "gls": "",
    "evri": "hermes",
    "tnt": "",
    "aramex": "",
    "purolator": "",
    "ontrac": "",
    "lasership": "",
    "amazon logistics": "",
    "postnl": "",
    "la poste": "colissimo",
    "chronopost": "",
    "correos": "",
    "japan post": "",
    "india post": "",
    "parcelforce": "",
    "yodel": "",
    "deutsche post": "",
    "poste italiane": "",
    "postnord": "",
    "nz post": "",
    "sf express": "",
    "china post": "",
}

UNITS: Final = {
    "kg": "kgs|kilo|kilos|kilogram|kilograms|kilogramme",
    "gram": "grams|gramme|grammes",
    "lb": "lbs|pound|pounds",
    "oz": "ounce|ounces|fl oz",
    "ml": "milliliter|millilitre|milliliters|millilitres|mls",
    "liter": "litre|liters|litres|ltr",
    "gallon": "gallons",
    "cm": "centimeter|centimetre|centimeters|centimetres|cms",
    "mm": "millimeter|millimetre|millimeters|millimetres",
    "meter": "metre|meters|metres",
    "km": "kilometer|kilometre|kilometers|kilometres",
    "inch": "inches",
    "watt": "watts",
    "kw": "kilowatt|kilowatts",
    "volt": "volts",
    "mah": "",
    "gb": "gigabyte|gigabytes",
    "tb": "terabyte|terabytes",
    "mb": "megabyte|megabytes",
    "ghz": "",
    "hz": "hertz",
    "megapixel": "megapixels",
    "percent": "per cent|pct|%",
}
# Units that are common words too ("what are your hours", "my feet"): durations count after a number or "a", "few"
# ("a week", "a few days"), the others only after a number ("6 ft", "10k", "2x").
DURATIONS: Final = {
    "day": "days",
    "hour": "hours|hr|hrs",
    "minute": "minutes|mins",
    "week": "weeks|wk|wks",
    "month": "months",
    "year": "years|yr|yrs",
}
MEASURES: Final = {
    "hour": "h",
    "minute": "min",
    "month": "mo",
    "foot": "feet|ft",
    "yard": "yards|yd",
    "mile": "miles|mi",
    "thousand": "k",
    "gram": "g",
    "times": "x",
    "meter": "m",
    "liter": "l",
    "watt": "w",
    "volt": "v",
    "gallon": "gal",
    "megapixel": "mp",
    "am": "am",
    "pm": "pm|p.m.",
}

# Flavours, scents, diets, skin and hair types, product forms, platforms and connectors.
VARIETIES: Final = {
    "vanilla": "",
    "chocolate": "cocoa",
    "strawberry": "",
    "caramel": "",
    "coffee": "espresso|mocha",
    "lemon": "",
    "cherry": "",
    "cinnamon": "",
    "coconut": "",
    "peppermint": "spearmint",
    "raspberry": "",
    "blueberry": "",
    "mango": "",
    "banana": "",
    "unflavoured": "unflavored|plain flavour|plain flavor",
    "unscented": "fragrance free|fragrance-free|scent free|scent-free",
    "gluten free": "gluten-free|celiac|coeliac",
    "dairy free": "dairy-free|lactose free|lactose-free",
    "sugar free": "sugar-free|no sugar|no added sugar",
    "nut free": "nut-free|peanut free|peanut-free",
    "vegan": "plant based|plant-based",
    "vegetarian": "",
    "keto": "",
    "halal": "",
    "kosher": "",
    "organic": "",
    "cruelty free": "cruelty-free",
    "paraben free": "paraben-free",
    "sulfate free": "sulfate-free|sulphate free|sulphate-free",
    "oily skin": "",
    "dry skin": "",
    "sensitive skin": "",
    "combination skin": "",
    "curly hair": "",
    "straight hair": "",
    "fine hair": "",
    "thick hair": "",
    "cream": "creams",
    "lotion": "lotions",
    "serum": "serums",
    "gel": "gels",
    "spray": "sprays",
    "powder": "powders",
    "capsule": "capsules",
    "gummy": "gummies",
    "tablet": "tablets|pills|pill",
    "softgel": "softgels",
    "liquid": "",
    "ios": "iphone|ipad|iphones|ipads",
    "android": "",
    "windows": "windows pc",
    "mac": "macos|macbook|imac|mac os",
    "linux": "",
    "chromebook": "",
    "playstation": "ps4|ps5",
    "xbox": "",
    "nintendo switch": "",
    "usb-c": "usb c|type-c|type c|usbc",
    "lightning": "lightning cable|lightning port",
    "micro usb": "micro-usb",
}

LISTS: Final[dict[str, dict[str, str]]] = {
    "time": {},
    "size": SIZES,
    "colour": {},
    "material": MATERIALS,
    "audience": AUDIENCES,
    "variant": VARIANTS,
    "place": {},
    "payment": PAYMENTS,
    "carrier": CARRIERS,
    "unit": UNITS,
    "variety": VARIETIES,
}


def _fill() -> None:
    colours = dict.fromkeys(_COLOUR_BASES, "")
    for shade in _COLOUR_SHADES:
        for base in _SHADED:
            colours[f"{shade} {base}"] = ""
    for canonical, synonyms in _COLOUR_SYNONYMS.items():
        colours[canonical] = synonyms
    LISTS["colour"] = colours
    time = dict(TIME)
    for day, short in _WEEKDAYS.items():
        time[day] = f"{day}s|{short}" if short else f"{day}s"
    for month, short in _MONTHS.items():
        time[month] = short
    LISTS["time"] = time
    places = dict.fromkeys((*_COUNTRIES, *_US_STATES, *_PROVINCES, *_CITIES, *_REGIONS), "")
    places.update(_PLACE_SYNONYMS)
    places.update(_LANGUAGES)
    for country, demonym in _DEMONYMS.items():
        places[country] = f"{places[country]}|{demonym}" if places.get(country) else demonym
    LISTS["place"] = places


_fill()

# ---------------------------------------------------------------------------------------------------------------
# Relations: both questions must name one, and they must share none, to differ

RELATIONS: Final[dict[str, dict[str, str]]] = {
    # over/under, more/less than, before/after: which side of a bound or of a date the question is about
    "direction": {
        "low": "less than|fewer than|lower than|smaller than|shorter than|cheaper than|maximum|no more than|"
        "not more than|no later than|not later than|before|prior to|earlier than|within|until|till|ahead of|"
        "beforehand|sooner than|earlier|sooner|no longer than",
        "high": "more than|greater than|higher than|larger than|bigger than|longer than|older than|minimum|exceeding|"
        "exceeds|exceed|exceeded|"
        "after|later than|afterwards|afterward|later|no less than|not less than|no earlier than|not earlier than|"
        "no sooner than|past the|upwards of",
    },
    "period": {},  # this/next/last before a time unit: CONDITIONAL
    "edit": {
        "add": "add|adding|added|adds",
        "remove": "remove|removing|removed|removes|delete|deleting|deleted|take off|take out|cancel|cancelling|"
        "canceling|cancelled|canceled|cancels|cancellation",
        "change": "change|changing|changed|changes|modify|modifying|modified|edit|editing|edited|update|updating|"
        "updated|amend|amending|amended|alter|altering|altered",
    },
    "resolution": {
        "refund": "refund|refunds|refunded|refunding|money back|reimburse|reimbursed|reimbursement|chargeback",
        "exchange": "exchange|exchanges|exchanged|exchanging|swap|swapping|swapped",
        "replacement": "replacement|replace|replaced|replacing|replacements",
        "repair": "repair|repairs|repaired|repairing",
    },
    "open": {
        "open": "open|opens|opening|opening hours|reopen|reopens|reopening",
        "close": "close|closes|closing|closed|closure|shut|shuts|shutting",
    },
    "start": {
        "start": "start|starts|started|starting|begin|begins|began|beginning|launch|launches|launching|kick off|"
        "kicks off|go live|goes live",
        "end": "end|ends|ended|ending|finish|finishes|finished|expire|expires|expired|expiring|expiry|expiration|"
        "run out|runs out",
    },
    "switch": {
        "on": "turn on|switch on|enable|enabled|enabling|activate|activated|activating|activation|subscribe|"
        "subscribed|subscribing|opt in|opt-in|opted in|sign up for|resume|reactivate",
        "off": "turn off|switch off|disable|disabled|disabling|deactivate|deactivated|deactivating|unsubscribe|"
        "unsubscribed|unsubscribing|opt out|opt-out|opted out|pause|paused|pausing|suspend|suspended",
    },
    "account": {
        "in": "log in|login|logging in|logged in|log on|sign in|signin|signing in|signed in|log into|sign into",
        "out": "log out|logout|logging out|logged out|log off|sign out|signout|signing out|signed out",
        "up": "sign up|signup|signing up|signed up|register|registering|registered|registration|create an account|"
        "create account|make an account|open an account",
    },
    "grade": {
        "up": "upgrade|upgrading|upgraded|increase|increasing|increased|raise|raising|raised|bigger|larger|size up|"
        "go up a size|one size up|extend|extending|extended|extension",
        "down": "downgrade|downgrading|downgraded|decrease|decreasing|decreased|reduce|reducing|reduced|lower|"
        "lowering|smaller|size down|go down a size|one size down|shorten|shortened",
    },
    "condition": {
        "new": "brand new|new condition|sealed|factory sealed|mint condition|original packaging|tags on|"
        "tags attached|never opened|never used|never worn",
        "used": "used|worn|opened|washed|refurbished|renewed|second hand|second-hand|secondhand|pre-owned|preowned|"
        "pre-loved|open box|open-box|ex-display|display model|tried on",
    },
    "reach": {
        "domestic": "domestic|domestically|local|locally|nationwide|national|within the country|in-country",
        "international": "international|internationally|overseas|abroad|worldwide|foreign|global|globally|"
        "cross border|cross-border|outside the country|outside the|other countries|another country",
    },
    "fulfilment": {
        "pickup": "pickup|pick up|pick-up|picking up|picked up|collect|collecting|click and collect|click & collect|"
        "curbside|store pickup|bopis|local pickup",
        "delivery": "delivery|deliveries|deliver|delivers|delivered|delivering|ship|ships|shipping|shipped|mail|"
        "mailed|post|posted|courier|send it|sent",
    },
    "channel": {
        "online": "online|app|website|webshop|web shop|internet|e-shop",
        "store": "instore|physical store|retail store|brick and mortar|walk in",
    },
    "speed": {
        "express": "express|expedited|fast|faster|fastest|quick|quicker|quickest|rush|priority|urgent|speedy",
        "overnight": "overnight|next day|next-day|next business day",
        "same day": "same day|same-day",
        "standard": "standard|ground|economy|slow|slower|slowest",
    },
    "price": {
        "cheap": "cheap|cheaper|cheapest|inexpensive|affordable|budget|low cost|low-cost|lowest price|"
        "least expensive|less expensive|bargain|discounted|sale|clearance|markdown|reduced price",
        "expensive": "expensive|pricey|pricier|priciest|costly|high end|high-end|luxury|most expensive|"
        "more expensive|full price",
        "free": "free|free of charge|no cost|no charge|no fee|no fees|no extra cost|"
        "no additional cost|no extra charge|without charge|complimentary|costs nothing|cost nothing",
    },
    "temperature": {
        "hot": "hot|warm|warmer|heat|heated|heating",
        "cold": "cold|cool|cooler|chilled|freeze|frozen|freezing|refrigerate|refrigerated",
    },
    "include": {
        "in": "include|includes|included|including|inclusive|come with|comes with|came with",
        "out": "exclude|excludes|excluded|excluding|exclusive of|not included|not including|not include",
    },
    "setting": {
        "indoor": "indoor|indoors",
        "outdoor": "outdoor|outdoors",
    },
    "wired": {
        "wired": "wired|corded|plug in|plug-in",
        "wireless": "wireless|cordless|bluetooth|wi-fi|wifi",
    },
    "visibility": {
        "public": "public|publicly|visible",
        "private": "private|privately|hidden|anonymous|anonymously|invisible",
    },
    # Prices without a currency ("over 50") are common; only two currencies that differ make a miss.
    "currency": {
        "usd": "usd|american dollars|dollar|dollars|bucks|$",
        "cad": "cad|canadian dollar|canadian dollars",
        "aud": "aud|australian dollar|australian dollars",
        "nzd": "nzd|new zealand dollar|new zealand dollars",
        "eur": "eur|euro|euros|€",
        "gbp": "gbp|pound sterling|sterling|quid|£",
        "jpy": "jpy|yen|¥",
        "cny": "cny|rmb|yuan|renminbi",
        "inr": "inr|rupee|rupees|₹",
        "chf": "chf|swiss franc|swiss francs|francs",
        "sek": "sek|swedish krona|kronor",
        "nok": "nok|norwegian krone",
        "dkk": "dkk|danish krone",
        "mxn": "mxn|peso|pesos",
        "zar": "zar|rand",
        "pln": "pln|zloty",
        "try": "lira",
        "sgd": "sgd|singapore dollar|singapore dollars",
        "hkd": "hkd|hong kong dollar|hong kong dollars",
    },
}

# ---------------------------------------------------------------------------------------------------------------
# Entries that count only in context: (phrase, kind, class or category, value, condition)
# kinds: "list", "relation", "negation", "soft" (an uncertain number), "none"
# conditions (see guards.py): number_after, number_before, amount_before, not_number_before, time_after,
# month_context, after_model, before_tier, size_context, us_context, "after:<words>" (the words just before, a
# determiner between allowed: "in store", "in the store")

_TIER_WORDS: Final = (
    "basic", "standard", "premium", "plus", "starter", "advanced", "business", "enterprise", "family", "personal",
    "individual", "student", "gold", "silver", "platinum", "bronze", "free", "paid", "annual", "monthly", "vip",
)  # fmt: skip
TIER_NOUNS: Final = frozenset(
    {"plan", "plans", "tier", "tiers", "version", "versions", "edition", "membership", "memberships", "subscription",
     "subscriptions", "package", "packages", "account", "accounts", "member", "members", "bundle", "option"}
)  # fmt: skip


def _conditional() -> tuple[tuple[str, str, str, str, str], ...]:
    # Words keyed on their content word, with the word before as condition, so common words ("or", "at", "in")
    # never need a look of their own: "or more", "at least", "in store", "up to", "out of stock".
    entries: list[tuple[str, str, str, str, str]] = [
        *((word, "relation", "direction", "low", "after:or") for word in ("less", "fewer", "under", "below", "lower")),
        *(
            (word, "relation", "direction", "high", "after:or")
            for word in ("more", "above", "over", "higher", "greater", "older")
        ),
        ("not", "none", "", "", "after:or"),
        ("least", "relation", "direction", "high", "after:at"),
        ("most", "relation", "direction", "low", "after:at"),
        ("to", "relation", "direction", "low", "after:up"),
        ("advance", "relation", "direction", "low", "after:in"),
        *((word, "relation", "channel", "store", "after:in") for word in ("store", "stores", "shop", "person")),
        ("stock", "negation", "", "", "after:out of"),
        ("white", "list", "colour", "offwhite", "after:off"),
        ("states", "list", "place", "us", "after:the"),
    ]
    entries += [(word, "list", "variant", word, "before_tier") for word in _TIER_WORDS]
    entries += [(word, "list", "variant", word, "after_model") for word in _MODEL_SUFFIXES]
    entries += [
        ("s", "list", "size", "small", "size_context"),
        ("m", "list", "size", "medium", "size_context"),
        ("l", "list", "size", "large", "size_context"),
        ("may", "list", "time", "may", "month_context"),
        ("fall", "list", "time", "autumn", "month_context"),
        ("us", "list", "place", "us", "us_context"),
    ]
    # "ship on business days" names a time; "in 3 business days" is a duration
    entries += [(w, "list", "time", "weekday", "not_number_before") for w in _BUSINESS_DAYS]
    entries += [(w, "list", "unit", unit, "amount_before") for unit, ws in DURATIONS.items() for w in _split(unit, ws)]
    entries += [(w, "list", "unit", unit, "number_before") for unit, ws in MEASURES.items() for w in ws.split("|")]
    entries += [
        ("max", "relation", "direction", "low", ""),
        ("min", "relation", "direction", "high", ""),
        ("plus", "relation", "direction", "high", "number_before"),
        *((w, "relation", "direction", "high", "number_after") for w in ("over", "above", "beyond")),
        *((w, "relation", "direction", "low", "number_after") for w in ("under", "below")),
        ("by", "relation", "direction", "low", "time_after"),
    ]
    return tuple(entries)


def _split(canonical: str, synonyms: str) -> list[str]:
    return [canonical, *filter(None, synonyms.split("|"))]


_MODEL_SUFFIXES: Final = ("plus", "max", "air", "se", "slim", "sport", "classic")
_BUSINESS_DAYS: Final = ("business days", "working days", "business day", "working day", "work days", "work day")
CONDITIONAL: Final = _conditional()

# this/next/last before these words name a period ("next week", "last order", "this coming Friday").
PERIOD_MODIFIERS: Final = {
    "this": "this", "current": "this", "coming": "this", "upcoming": "this", "next": "next", "following": "next",
    "last": "last", "previous": "last", "past": "last", "prior": "last",
}  # fmt: skip
PERIOD_UNITS: Final = frozenset(
    {
        "day", "days", "week", "weeks", "weekend", "weekends", "month", "months", "year", "years", "quarter",
        "season", "morning", "afternoon", "evening", "night", "weekday", "business", "working", "order", "orders",
        "purchase", "purchases", "shipment", "shipments", "delivery", "deliveries", "payment", "payments", "bill",
        "invoice", "sale", "sales", "drop", "restock", "batch", "collection", "visit", "box", "statement", "cycle",
        "spring", "summer", "autumn", "fall", "winter", "christmas", "holiday", "holidays", "hour", "hours",
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
        "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december",
    }
)  # fmt: skip
PERIOD_FILLERS: Final = frozenset({"few", "couple", "of", "several", "two", "three", "business", "working"})
MONTH_CONTEXT: Final = frozenset(
    {"in", "of", "early", "late", "mid", "end", "since", "until", "till", "by", "during", "before", "after", "this",
     "next", "last", "from", "through", "the", "every", "beginning", "start"}
)  # fmt: skip
US_CONTEXT: Final = frozenset(
    {"address", "addresses", "customers", "residents", "only", "market", "site", "website", "version",
     "warehouse", "orders", "shipping", "based", "territories", "mainland", "states", "store", "stores"}
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------
# Negation: each phrase counts once; "n't", "cannot" and apostrophe-less "dont" become "not" in the tokenizer

NEGATIONS: Final = (
    "not", "no", "never", "none", "nothing", "neither", "nobody", "nowhere", "noone", "no one", "without", "non",
    "no longer", "out of stock", "out-of-stock", "sold out", "sold-out", "unable", "invalid", "unavailable",
    "incorrect", "incomplete", "ineligible", "inactive", "inaccurate", "insufficient", "incompatible", "impossible",
    "improper", "imperfect", "irregular", "irrelevant", "irreversible", "illegal", "illegible", "dissatisfied",
    "disagree", "dislike", "disallowed", "discontinued", "disconnected", "disqualified", "missing", "lack", "lacks",
    "lacking", "fail", "fails", "failed", "failing", "failure", "declined", "rejected", "refused", "denied", "lost",
    "forgot", "forgotten", "final sale", "wrong", "broken", "damaged", "defective", "faulty", "stopped working",
    "except", "apart from", "other than", "barely", "hardly", "nor",
)  # fmt: skip
# "un-" words are negations unless they start like these (reversals, and words where "un" is no prefix).
UN_NOT_NEGATION: Final = (
    "under", "uni", "until", "unto", "unless", "uncle", "unanim", "unsubscrib", "unlock", "undo", "undid", "unpack",
    "uninstall", "unfollow", "unblock", "unlink", "unzip", "unwrap", "unfreez", "unload", "unplug", "unpaus",
    "unbox", "unfold", "unroll", "untie", "unscrew", "unmute", "unpin", "unsend", "unsave", "unmatch", "unleash",
    "unveil", "unwind", "unders",
)  # fmt: skip
NON_NOT_NEGATION: Final = frozenset({"none", "nonetheless", "nonsense", "nonce", "nonprofit", "nonprofits"})

NEUTRAL: Final = (
    "no problem", "no worries", "no matter", "no idea", "not sure", "not only", "whether or not",
    "used to", "feel free", "hands free", "hands-free", "no. of", "no thanks",
    "just wondering", "no rush",
)  # fmt: skip

# ---------------------------------------------------------------------------------------------------------------
# Numbers

NUMBER_UNITS: Final = {
    w: n
    for n, w in enumerate(
        (
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
        )
    )
}  # fmt: skip
NUMBER_TENS: Final = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
NUMBER_SCALES: Final = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "dozen": 12, "grand": 1000}
ORDINALS: Final = {
    "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10,
    "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14, "fifteenth": 15, "sixteenth": 16,
    "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20, "thirtieth": 30, "fortieth": 40,
    "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
}  # fmt: skip
# Ordinals that also mean something else ("first time", "wait a second"): they match a number, never require one.
SOFT_ORDINALS: Final = {"first": 1, "second": 2}
SOFT_NUMBERS: Final = {
    "single": 1, "once": 1, "twice": 2, "double": 2, "couple": 2, "pair": 2, "both": 2, "triple": 3, "thrice": 3,
}  # fmt: skip
ORDINAL_SUFFIXES: Final = frozenset({"st", "nd", "rd", "th"})
# "one" after these is a pronoun ("this one", "a bigger one", "the red one"), not a count.
ONE_PRONOUN_AFTER: Final = frozenset(
    {
        "this", "that", "the", "which", "another", "any", "each", "every", "a", "an", "new", "other", "same",
        "right", "wrong", "last", "next", "first", "only", "old", "different", "replacement", "good", "nice",
        "better", "best", "cheap", "big", "little", "free", "correct", "original", "similar", "someone", "anyone",
        "no", "my", "your", "its", "their", "our", "his", "her", "specific", "particular", "favorite", "favourite",
    }
)  # fmt: skip
ONE_PRONOUN_BEFORE: Final = frozenset({"another", "of", "or", "instead"})
NOT_COMPARATIVES: Final = frozenset(
    {"after", "over", "under", "order", "ever", "never", "per", "either", "neither", "whether", "number", "other",
     "paper", "water", "member", "customer", "cover", "offer", "transfer", "deliver", "remember", "answer"}
)  # fmt: skip
# Units after a number that keep "2-day", "3-pack" and "5kg" from reading as identifiers.
NUMBER_SUFFIXES: Final = frozenset(
    {
        "st", "nd", "rd", "th", "x", "k", "am", "pm", "s", "d", "h", "hr", "hrs", "min", "mins", "m", "cm", "mm",
        "km", "in", "ft", "g", "kg", "kgs", "lb", "lbs", "oz", "ml", "l", "cl", "gb", "tb", "mb", "w", "v", "mah",
        "hz", "ghz", "mp", "pc", "pcs", "ct", "pk", "xl", "xs", "xxl", "yr", "yrs", "mo", "wk", "wks", "day",
        "days", "gal", "pack", "packs",
    }
)  # fmt: skip
