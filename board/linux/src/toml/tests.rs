use super::*;

fn table(pairs: Vec<(&str, Value)>) -> Value {
    Value::Table(Table { entries: pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(), headed: false })
}

fn s(text: &str) -> Value {
    Value::Str(text.to_string())
}

#[test]
fn the_forms_board_files_use_parse() {
    let text = "# a comment\nid = \"a \\\"b\\\" \\u00e9\" # trailing\n'lit' = 'C:\\x'\n\
                [t]\nn = -1_000\nyes = true\nlist = [\n  1,\n  2, # two\n]\n\
                [[t.items]]\nx = { a = 1, b = [\"s\"] }\n[[t.items]]\nx = {}\n";
    let root = parse(text).unwrap();
    let expected = table(vec![
        ("id", s("a \"b\" é")),
        ("lit", s("C:\\x")),
        (
            "t",
            table(vec![
                ("n", Value::Int(-1000)),
                ("yes", Value::Bool(true)),
                ("list", Value::Array(vec![Value::Int(1), Value::Int(2)])),
                (
                    "items",
                    Value::Array(vec![
                        table(vec![("x", table(vec![("a", Value::Int(1)), ("b", Value::Array(vec![s("s")]))]))]),
                        table(vec![("x", table(vec![]))]),
                    ]),
                ),
            ]),
        ),
    ]);
    let Value::Table(mut want) = expected else { unreachable!() };
    if let Some(Value::Table(t)) = want.get_mut("t") {
        t.headed = true;
    }
    assert_eq!(root, want);
}

#[test]
fn what_board_files_do_not_use_is_refused_with_its_line() {
    for (text, error) in [
        ("a = 1\nb = 1.5\n", "line 2: `1.5` is not a decimal integer"),
        ("a = 1979-05-27\n", "line 1: `1979-05-27` is not a decimal integer"),
        ("a = \"\"\"x\"\"\"\n", "line 1: multi-line strings"),
        ("a = \"open\n", "line 2: a string is not closed"),
        ("a = 1\na = 2\n", "line 2: `a` is given twice"),
        ("[t]\n[t]\n", "line 2: [t] is defined twice"),
        ("a = 1\n[a.b]\n", "line 2: `a` is not a table"),
        ("a = 1 b\n", "line 1: unexpected text after a value"),
        ("a = 99999999999999999999\n", "line 1: `99999999999999999999` is out of range"),
        ("a = [[[[[[[[[[1]]]]]]]]]]\n", "nest too deep"),
        ("a = \"\\q\"\n", "unknown escape"),
        ("a = \"\\u12\"\n", "\\u escape"),
        ("a = \"\\uD800\"\n", "not a character"),
        ("= 1\n", "expected a key"),
        ("a = nan\n", "expected a value"),
        ("a = [1 2]\n", "expected `]`"),
    ] {
        let e = parse(text).unwrap_err();
        assert!(e.contains(error), "{text:?}: {e}");
    }
}

#[test]
fn any_bytes_give_a_value_or_an_error() {
    let seed = "k = [ { a = \"\\u00e9\", b = 'x' }, 1_0, -2 ] # c\n[[x.y]]\n[z]\n\"q\".r = true\n";
    for cut in 0..=seed.len() {
        let _ = parse(&seed[..cut]);
        let mut bytes = seed.as_bytes().to_vec();
        bytes[cut % seed.len()] ^= 0x80;
        let _ = parse(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn fields_refuse_wrong_types_missing_and_unknown_keys() {
    let root = || Fields::root(parse("[t]\nport = 70000\nname = 1\npair = [1]\n").unwrap());
    let mut f = root();
    let mut t = Fields::new(f.required("t").unwrap(), "t").unwrap();
    assert_eq!(t.required::<u16>("port").unwrap_err(), "t.port must be from 0 to 65535");
    assert_eq!(t.required::<String>("name").unwrap_err(), "t.name must be a string");
    assert_eq!(t.required::<[u32; 2]>("pair").unwrap_err(), "t.pair must have 2 items");
    assert_eq!(t.required::<u32>("gone").unwrap_err(), "`t.gone` is missing");
    assert_eq!(f.or("absent", 7u8), Ok(7));
    let mut f = root();
    let t = Fields::new(f.required("t").unwrap(), "t").unwrap();
    assert_eq!(t.finish().unwrap_err(), "unknown key `t.port`");
}
