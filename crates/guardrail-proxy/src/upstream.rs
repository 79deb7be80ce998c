//! The upstream server: connecting with the proxy's own credential (trust,
//! password, MD5 or SCRAM-SHA-256), over TLS when asked, and cancelling a
//! server's query.

use std::path::Path;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use postgres_protocol::authentication::sasl::{ChannelBinding, ScramSha256};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_postgres::config::{Host, SslMode};

use crate::wire::{self, Conn, Report, WireError};

/// A byte stream the proxy talks over: TCP, a Unix socket, or TLS over one.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}
pub type BoxStream = Box<dyn Stream>;

/// Why the upstream could not be reached; told to the client without the
/// credential.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot reach the database server at {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("the database server at {0} does not offer TLS, which the proxy's configuration requires")]
    NoTls(String),
    #[error("TLS with the database server failed: {0}")]
    Tls(String),
    /// The server refused the proxy's login or the session: its report.
    #[error("the database server refused the connection: {}", .0.message)]
    Refused(Report),
    #[error("the database server asked for an authentication method the proxy does not speak ({0})")]
    Method(i32),
    #[error(
        "the database server asked for a password, and the proxy has none for it (set {})",
        crate::config::UPSTREAM_PASSWORD_ENV
    )]
    NoPassword,
    #[error("authenticating to the database server failed: {0}")]
    Auth(String),
    #[error("the database server broke the protocol: {0}")]
    Wire(#[from] WireError),
}

/// Where the upstream is and how to log in to it.
#[derive(Clone)]
pub struct Upstream {
    host: Host,
    port: u16,
    user: String,
    password: Option<Vec<u8>>,
    database: Option<String>,
    ssl: SslMode,
    tls: Option<Arc<rustls::ClientConfig>>,
}

/// The largest message accepted from the server: PostgreSQL's own limit
/// on a value (1 GB), so that no result the server can send is cut.
const SERVER_MESSAGE_LIMIT: usize = 1 << 30;

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.display())
    }
}

/// A logged-in server connection.
pub struct ServerConn {
    pub conn: Conn<BoxStream>,
    pub pid: i32,
    pub secret: Bytes,
    /// ParameterStatus messages the server sent during login.
    pub parameters: Vec<(String, String)>,
    pub tls: bool,
}

impl Upstream {
    /// Reads a libpq connection URL or key=value string (`sslmode` of
    /// disable, prefer or require). `password`, when given, is used over one
    /// in the URL. `ca` is a PEM file of certificates the server's must
    /// chain to; without it, TLS encrypts but does not authenticate the
    /// server, as libpq's `require`.
    pub fn parse(url: &str, password: Option<String>, ca: Option<&Path>) -> Result<Upstream, String> {
        let config: tokio_postgres::Config =
            url.parse().map_err(|error| format!("the upstream {}: {error}", mask_url(url)))?;
        let host = config.get_hosts().first().cloned().unwrap_or(Host::Tcp("127.0.0.1".to_owned()));
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config
            .get_user()
            .map(str::to_owned)
            .ok_or_else(|| format!("the upstream {} names no user to log in as", mask_url(url)))?;
        let password = password.map(String::into_bytes).or_else(|| config.get_password().map(<[u8]>::to_vec));
        let ssl = config.get_ssl_mode();
        let tls = match ssl {
            SslMode::Disable => None,
            _ => Some(Arc::new(client_tls(ca)?)),
        };
        Ok(Upstream { host, port, user, password, database: config.get_dbname().map(str::to_owned), ssl, tls })
    }

    /// Where the upstream is, without its credential.
    pub fn display(&self) -> String {
        let place = match &self.host {
            Host::Tcp(host) => format!("{host}:{}", self.port),
            Host::Unix(dir) => format!("{}/.s.PGSQL.{}", dir.display(), self.port),
        };
        format!("postgres://{}@{place}", self.user)
    }

    /// The database to log in to: the configured one, else the client's.
    pub fn database<'a>(&'a self, asked: &'a str) -> &'a str {
        self.database.as_deref().unwrap_or(asked)
    }

    async fn socket(&self) -> Result<BoxStream, UpstreamError> {
        let stream: BoxStream = match &self.host {
            Host::Tcp(host) => {
                let stream = tokio::net::TcpStream::connect((host.as_str(), self.port))
                    .await
                    .map_err(|error| UpstreamError::Connect(self.display(), error))?;
                let _ = stream.set_nodelay(true);
                Box::new(stream)
            }
            Host::Unix(dir) => Box::new(
                tokio::net::UnixStream::connect(dir.join(format!(".s.PGSQL.{}", self.port)))
                    .await
                    .map_err(|error| UpstreamError::Connect(self.display(), error))?,
            ),
        };
        Ok(stream)
    }

    /// Opens a connection and logs in to `database` with `parameters`
    /// (application_name, client_encoding, ...).
    pub async fn connect(&self, database: &str, parameters: &[(String, String)]) -> Result<ServerConn, UpstreamError> {
        let mut stream = self.socket().await?;
        let mut tls = false;
        if let (Some(config), Host::Tcp(host)) = (&self.tls, &self.host) {
            let mut request = BytesMut::new();
            request.put_i32(8);
            request.put_i32(wire::SSL_REQUEST);
            stream.write_all(&request).await.map_err(|error| UpstreamError::Connect(self.display(), error))?;
            let mut answer = [0u8; 1];
            tokio::io::AsyncReadExt::read_exact(&mut stream, &mut answer)
                .await
                .map_err(|error| UpstreamError::Connect(self.display(), error))?;
            match (answer[0], self.ssl) {
                (b'S', _) => {
                    let name = rustls::pki_types::ServerName::try_from(host.clone())
                        .map_err(|error| UpstreamError::Tls(error.to_string()))?;
                    let connector = tokio_rustls::TlsConnector::from(Arc::clone(config));
                    stream = Box::new(
                        connector.connect(name, stream).await.map_err(|error| UpstreamError::Tls(error.to_string()))?,
                    );
                    tls = true;
                }
                (_, SslMode::Prefer) => {}
                _ => return Err(UpstreamError::NoTls(self.display())),
            }
        }
        let mut conn = Conn::new(stream, SERVER_MESSAGE_LIMIT);
        let mut all = vec![("user".to_owned(), self.user.clone()), ("database".to_owned(), database.to_owned())];
        all.extend(parameters.iter().cloned());
        wire::startup(&mut conn.write, &all);
        conn.flush().await?;
        self.authenticate(&mut conn).await?;
        let (mut pid, mut secret, mut server_parameters) = (0, Bytes::new(), Vec::new());
        loop {
            let message = conn.message().await?;
            match message.tag {
                b'S' => {
                    let mut fields = message.fields();
                    server_parameters.push((fields.str()?, fields.str()?));
                }
                b'K' => {
                    let mut fields = message.fields();
                    pid = fields.i32()?;
                    secret = fields.rest();
                }
                b'Z' => break,
                b'E' => return Err(UpstreamError::Refused(Report::parse(&message.body)?)),
                // Notices and a protocol negotiation are not the client's
                // business during login.
                _ => {}
            }
        }
        Ok(ServerConn { conn, pid, secret, parameters: server_parameters, tls })
    }

    async fn authenticate(&self, conn: &mut Conn<BoxStream>) -> Result<(), UpstreamError> {
        let mut scram: Option<ScramSha256> = None;
        loop {
            let message = conn.message().await?;
            if message.tag == b'E' {
                return Err(UpstreamError::Refused(Report::parse(&message.body)?));
            }
            if message.tag != b'R' {
                return Err(
                    WireError::Malformed(format!("expected authentication, got {:?}", message.tag as char)).into()
                );
            }
            let mut fields = message.fields();
            let code = fields.i32()?;
            let password = || self.password.as_deref().ok_or(UpstreamError::NoPassword);
            match code {
                0 => return Ok(()),
                3 => {
                    let password = password()?;
                    wire::put(&mut conn.write, b'p', |body| {
                        body.extend_from_slice(password);
                        body.put_u8(0);
                    });
                }
                5 => {
                    let salt: [u8; 4] = fields.bytes(4)?.as_ref().try_into().expect("four bytes");
                    let hash = postgres_protocol::authentication::md5_hash(self.user.as_bytes(), password()?, salt);
                    wire::put(&mut conn.write, b'p', |body| wire::put_str(body, &hash));
                }
                10 => {
                    let mut offered = Vec::new();
                    loop {
                        let mechanism = fields.str()?;
                        if mechanism.is_empty() {
                            break;
                        }
                        offered.push(mechanism);
                    }
                    if !offered.iter().any(|mechanism| mechanism == "SCRAM-SHA-256") {
                        return Err(UpstreamError::Auth(format!("the server offers only {}", offered.join(", "))));
                    }
                    let client = ScramSha256::new(password()?, ChannelBinding::unsupported());
                    let first = client.message().to_vec();
                    wire::put(&mut conn.write, b'p', |body| {
                        wire::put_str(body, "SCRAM-SHA-256");
                        body.put_i32(first.len() as i32);
                        body.extend_from_slice(&first);
                    });
                    scram = Some(client);
                }
                11 => {
                    let client = scram.as_mut().ok_or_else(|| UpstreamError::Auth("SASL out of order".into()))?;
                    client.update(&fields.rest()).map_err(|error| UpstreamError::Auth(error.to_string()))?;
                    let next = client.message().to_vec();
                    wire::put(&mut conn.write, b'p', |body| body.extend_from_slice(&next));
                }
                12 => {
                    let mut client = scram.take().ok_or_else(|| UpstreamError::Auth("SASL out of order".into()))?;
                    client.finish(&fields.rest()).map_err(|error| UpstreamError::Auth(error.to_string()))?;
                    continue;
                }
                other => return Err(UpstreamError::Method(other)),
            }
            conn.flush().await?;
        }
    }

    /// Asks the server to cancel the query of the connection `pid` runs.
    pub async fn cancel(&self, pid: i32, secret: &[u8]) -> Result<(), UpstreamError> {
        let mut stream = self.socket().await?;
        let mut request = BytesMut::new();
        request.put_i32(12 + secret.len() as i32);
        request.put_i32(wire::CANCEL_REQUEST);
        request.put_i32(pid);
        request.extend_from_slice(secret);
        stream.write_all(&request).await.map_err(|error| UpstreamError::Connect(self.display(), error))?;
        let _ = stream.shutdown().await;
        Ok(())
    }
}

/// `url` with any password replaced by `****`.
pub fn mask_url(url: &str) -> String {
    guardrail_core::secret::redact(url, &[]).into_owned()
}

fn client_tls(ca: Option<&Path>) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?;
    let config = match ca {
        Some(ca) => {
            use rustls::pki_types::pem::PemObject;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in rustls::pki_types::CertificateDer::pem_file_iter(ca)
                .map_err(|error| format!("{}: {error}", ca.display()))?
            {
                let certificate = certificate.map_err(|error| format!("{}: {error}", ca.display()))?;
                roots.add(certificate).map_err(|error| format!("{}: {error}", ca.display()))?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        None => {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(EncryptOnly(provider))).with_no_client_auth()
        }
    };
    Ok(config)
}

/// libpq's `sslmode=require` without a CA: the channel is encrypted and
/// the server's signatures checked, but its certificate is not verified.
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The server side of TLS, from the PEM files of the configuration.
pub fn server_tls(certificate: &Path, key: &Path) -> Result<rustls::ServerConfig, String> {
    use rustls::pki_types::pem::PemObject;
    let chain: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(certificate)
        .map_err(|error| format!("{}: {error}", certificate.display()))?
        .collect::<Result<_, _>>()
        .map_err(|error| format!("{}: {error}", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in the file", certificate.display()));
    }
    let key =
        rustls::pki_types::PrivateKeyDer::from_pem_file(key).map_err(|error| format!("{}: {error}", key.display()))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|error| format!("the TLS certificate and key: {error}"))
}
