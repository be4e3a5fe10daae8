"""The connection profile editor: bootstrap, security protocol, SASL, TLS trust and client certificate, extra
properties, ZooKeeper, read-only; test and save.

The security protocol decides which groups apply (SASL for SASL_*, TLS for *SSL); the
others are greyed out and ignored. Secrets (password, key and keystore passwords) are
fields here like the rest; the store puts them in the OS keyring, never in its database.
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
    QVBoxLayout,
    QWidget,
)

from workbench.services.connection import SASL_MECHANISMS, SECURITY_PROTOCOLS, ConnectionSpec

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

    def __init__(self, spec: ConnectionSpec | None = None, secrets_note: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connection profile")
        self.resize(600, 760)
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
        more = QFormLayout()
        more.addRow("Extra client properties", self.extra)
        more.addRow("ZooKeeper", self.zookeeper)
        more.addRow(self.read_only)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.sasl_box)
        layout.addWidget(self.tls_box)
        layout.addLayout(more)
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
            extra=extra, zookeeper=self.zookeeper.text().strip(), read_only=self.read_only.isChecked())

    def show_result(self, text: str, ok: bool) -> None:
        self.result_label.setText(("✔ " if ok else "✘ ") + text)
