export { mailOutbox } from './mail-outbox.table';
export { enqueueMail, createMailRelay, createSmtpSender, type OutgoingMail, type SendMail, type MailRelay } from './mail.relay';
