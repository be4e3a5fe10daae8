"""The connection profile editor: bootstrap, security protocol, SASL, TLS trust and client certificate, Schema
Registry, extra properties, ZooKeeper, read-only; test and save.

Three tabs: the cluster (bootstrap and security), its Schema Registry, and the rest.
The security protocol decides which groups apply (SASL for SASL_*, TLS for *SSL); the
others are greyed out and ignored. Secrets (passwords, key and keystore passwords,
registry token) are fields here like the rest; the store puts them in the OS keyring,
never in its database.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.services.connection import REGISTRY_AUTHS, SASL_MECHANISMS, SECURITY_PROTOCOLS, ConnectionSpec

TRUST_SYSTEM, TRUST_CA = "System trust store", "CA certificate (PEM)"
CERT_NONE, CERT_PEM, CERT_P12 = "None", "PEM certificate and key", "PKCS#12 keystore"


class _PathField(QWidget):
    """A file path with a Browse… button."""

    def __init__(self, text: str, caption: str, name_filter: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit(text)
        self.browse = QPushButton("Browse…")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.browse)
        self.browse.clicked.connect(lambda: self._choose(caption, name_filter))

    def _choose(self, caption: str, name_filter: str) -> None:
        path, _ = QFileDialog.getOpenFileName(self, caption, self.edit.text(), name_filter)
        if path:
            self.edit.setText(path)

    def text(self) -> str:
        return self.edit.text().strip()


def _secret(text: str) -> QLineEdit:
    edit = QLineEdit(text)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    return edit


class ProfileDialog(QDialog):
    test_requested = Signal(object)
    save_requested = Signal(object)
    registry_test_requested = Signal(object)

    def __init__(self, spec: ConnectionSpec | None = None, secrets_note: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection profile")
        self.resize(600, 720)
        spec = spec or ConnectionSpec(name="", bootstrap="")
        self.name = QLineEdit(spec.name)
        self.bootstrap = QLineEdit(spec.bootstrap)
        self.bootstrap.setPlaceholderText("host1:9093,host2:9093")
        self.protocol = QComboBox()
        self.protocol.setObjectName("security-protocol")
        self.protocol.addItems(list(SECURITY_PROTOCOLS))
        self.protocol.setCurrentText(spec.security_protocol)
        # SASL
        self.mechanism = QComboBox()
        self.mechanism.addItems([m for m in SASL_MECHANISMS if m])
        self.mechanism.setCurrentText(spec.sasl_mechanism or "SCRAM-SHA-512")
        self.username = QLineEdit(spec.sasl_username)
        self.password = _secret(spec.sasl_password)
        # TLS: whom to trust
        self.trust = QComboBox()
        self.trust.addItems([TRUST_SYSTEM, TRUST_CA])
        self.trust.setCurrentText(TRUST_CA if spec.tls_ca_path else TRUST_SYSTEM)
        self.ca = _PathField(spec.tls_ca_path, "CA certificate", "PEM certificates (*.pem *.crt *.cer);;All files (*)")
        self.verify_hostname = QCheckBox("Check that the broker's certificate names its host")
        self.verify_hostname.setChecked(spec.tls_verify_hostname)
        # TLS: who we are (mutual TLS)
        self.client_cert = QComboBox()
        self.client_cert.setObjectName("client-certificate")
        self.client_cert.addItems([CERT_NONE, CERT_PEM, CERT_P12])
        self.client_cert.setCurrentText(CERT_P12 if spec.tls_keystore_path else CERT_PEM if spec.tls_cert_path
                                        else CERT_NONE)
        self.cert = _PathField(spec.tls_cert_path, "Client certificate", "PEM (*.pem *.crt);;All files (*)")
        self.key = _PathField(spec.tls_key_path, "Client key", "PEM (*.pem *.key);;All files (*)")
        self.key_password = _secret(spec.tls_key_password)
        self.key_password.setPlaceholderText("only for an encrypted key")
        self.keystore = _PathField(spec.tls_keystore_path, "PKCS#12 keystore", "PKCS#12 (*.p12 *.pfx);;All files (*)")
        self.keystore_password = _secret(spec.tls_keystore_password)
        self.extra = QPlainTextEdit("\n".join(f"{k}={v}" for k, v in spec.extra.items()))
        self.extra.setFixedHeight(60)
        self.zookeeper = QLineEdit(spec.zookeeper)
        self.zookeeper.setPlaceholderText("optional: zk1:2181,zk2:2181/chroot")
        self.read_only = QCheckBox("Read-only (disable every action that changes the cluster)")
        self.read_only.setChecked(spec.read_only)
        self.registry_url = QLineEdit(spec.registry_url)
        self.registry_url.setObjectName("registry-url")
        self.registry_url.setPlaceholderText("optional: https://registry:8081 (Confluent-compatible API)")
        self.registry_auth = QComboBox()
        self.registry_auth.setObjectName("registry-auth")
        for key, label in REGISTRY_AUTHS.items():
            self.registry_auth.addItem(label, key)
        self.registry_auth.setCurrentIndex(max(0, self.registry_auth.findData(spec.registry_auth)))
        self.registry_username = QLineEdit(spec.registry_username)
        self.registry_username.setToolTip("Basic: the user name. Bearer: the logical cluster (Confluent Cloud), if any")
        self.registry_password = _secret(spec.registry_password)
        self.registry_token = _secret(spec.registry_token)
        self.registry_ca = QLineEdit(spec.registry_ca_path)
        self.registry_ca.setPlaceholderText("optional: a CA certificate (PEM) for the registry's TLS")
        self.registry_test_button = QPushButton("Test registry")
        self.registry_test_button.setObjectName("registry-test")
        self.registry_test_button.clicked.connect(lambda: self.registry_test_requested.emit(self.spec()))
        self.result_label = QLabel("")
        self.result_label.setObjectName("test-result")
        self.result_label.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Bootstrap servers", self.bootstrap)
        form.addRow("Security protocol", self.protocol)
        self.sasl_box = QGroupBox("SASL authentication")
        sf = QFormLayout(self.sasl_box)
        sf.addRow("Mechanism", self.mechanism)
        sf.addRow("User name", self.username)
        sf.addRow("Password", self.password)
        self.tls_box = QGroupBox("TLS")
        tf = QFormLayout(self.tls_box)
        tf.addRow("Trust", self.trust)
        tf.addRow("CA certificate", self.ca)
        tf.addRow(self.verify_hostname)
        tf.addRow("Client certificate", self.client_cert)
        self.cert_pages = QStackedWidget()
        self.cert_pages.addWidget(QWidget())
        pem = QWidget()
        pf = QFormLayout(pem)
        pf.setContentsMargins(0, 0, 0, 0)
        pf.addRow("Certificate (PEM)", self.cert)
        pf.addRow("Key (PEM)", self.key)
        pf.addRow("Key password", self.key_password)
        self.cert_pages.addWidget(pem)
        p12 = QWidget()
        kf = QFormLayout(p12)
        kf.setContentsMargins(0, 0, 0, 0)
        kf.addRow("Keystore (.p12)", self.keystore)
        kf.addRow("Keystore password", self.keystore_password)
        self.cert_pages.addWidget(p12)
        tf.addRow(self.cert_pages)
        registry = QWidget()
        rf = QFormLayout(registry)
        rf.addRow("URL", self.registry_url)
        rf.addRow("Authentication", self.registry_auth)
        rf.addRow("User name / logical cluster", self.registry_username)
        rf.addRow("Password", self.registry_password)
        rf.addRow("Bearer token", self.registry_token)
        rf.addRow("CA certificate (PEM)", self.registry_ca)
        rf.addRow("", self.registry_test_button)
        more = QWidget()
        mf = QFormLayout(more)
        mf.addRow("Extra client properties", self.extra)
        mf.addRow("ZooKeeper", self.zookeeper)
        cluster = QWidget()
        cl = QVBoxLayout(cluster)
        cl.addLayout(form)
        cl.addWidget(self.sasl_box)
        cl.addWidget(self.tls_box)
        cl.addStretch(1)
        self.tabs = QTabWidget()
        self.tabs.addTab(cluster, "Cluster and security")
        self.tabs.addTab(registry, "Schema Registry")
        self.tabs.addTab(more, "More")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.read_only)
        note = QLabel(secrets_note or "Passwords are kept in the OS keyring, never in the app's files.")
        note.setWordWrap(True)
        layout.addWidget(note)
        layout.addWidget(self.result_label)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.test_button = QPushButton("Test connection")
        buttons.addButton(self.test_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.test_button.clicked.connect(lambda: self.test_requested.emit(self.spec()))
        buttons.accepted.connect(lambda: self.save_requested.emit(self.spec()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        for combo in (self.protocol, self.trust, self.client_cert):
            combo.currentTextChanged.connect(self._sync)
        self._sync()

    def _sync(self) -> None:
        proto = self.protocol.currentText()
        self.sasl_box.setEnabled(proto.startswith("SASL"))
        self.tls_box.setEnabled(proto.endswith("SSL"))
        self.ca.setEnabled(self.trust.currentText() == TRUST_CA)
        self.cert_pages.setCurrentIndex([CERT_NONE, CERT_PEM, CERT_P12].index(self.client_cert.currentText()))

    def spec(self) -> ConnectionSpec:
        extra = {}
        for line in self.extra.toPlainText().splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip():
                extra[key.strip()] = value.strip()
        proto = self.protocol.currentText()
        sasl, tls = proto.startswith("SASL"), proto.endswith("SSL")
        cert = self.client_cert.currentText() if tls else CERT_NONE
        return ConnectionSpec(
            name=self.name.text().strip(), bootstrap=self.bootstrap.text().strip(),
            sasl_mechanism=self.mechanism.currentText() if sasl else "",
            sasl_username=self.username.text() if sasl else "", sasl_password=self.password.text() if sasl else "",
            tls=tls, tls_ca_path=self.ca.text() if tls and self.trust.currentText() == TRUST_CA else "",
            tls_verify_hostname=self.verify_hostname.isChecked(),
            tls_cert_path=self.cert.text() if cert == CERT_PEM else "",
            tls_key_path=self.key.text() if cert == CERT_PEM else "",
            tls_key_password=self.key_password.text() if cert == CERT_PEM else "",
            tls_keystore_path=self.keystore.text() if cert == CERT_P12 else "",
            tls_keystore_password=self.keystore_password.text() if cert == CERT_P12 else "",
            extra=extra, zookeeper=self.zookeeper.text().strip(), read_only=self.read_only.isChecked(),
            registry_url=self.registry_url.text().strip(), registry_auth=str(self.registry_auth.currentData() or ""),
            registry_username=self.registry_username.text(), registry_password=self.registry_password.text(),
            registry_token=self.registry_token.text(), registry_ca_path=self.registry_ca.text().strip())

    def show_result(self, text: str, ok: bool) -> None:
        self.result_label.setText(("✔ " if ok else "✘ ") + text)
