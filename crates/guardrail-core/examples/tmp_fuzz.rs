use std::time::Instant;
fn main() {
    let units = [
        "password=$password=",
        "password=\"$a ",
        "password=\\\"x ",
        "alter role a password $q1$ ",
        "alter role alter role ",
        "mysql mysql -p ",
        "curl curl -u ",
        "'Authorization: x ",
        "Authorization: Bearer abc ",
        "pgpassword=pgpassword=",
        "x://a:b@",
        "<password>x ",
        "-----BEGIN RSA PRIVATE KEY----- ",
        "eyJabcdefg.eyJabcdefg.",
        "key=key=",
        "password:",
        "sshpass -p x sshpass ",
        "AKIAAKIAAKIAAKIA",
        "bearer bearer ",
        "token = await ",
    ];
    for unit in units {
        for size in [1 << 16, 1 << 18] {
            let text = unit.repeat(size / unit.len());
            let t = Instant::now();
            let n = guardrail_core::secret::detect(&text).len();
            println!("{:>12?} {size:>8} {n:>6} {unit:?}", t.elapsed());
        }
    }
}
