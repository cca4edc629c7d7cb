;;; test-eglot.el --- Writ's language server through eglot, headless  -*- lexical-binding: t -*-

;; Run by scripts/test-emacs.sh:
;;   WRIT_BIN=/path/to/writ emacs --batch -Q -l editors/emacs/test-eglot.el
;; Loads editors/emacs/writ.el (the setup users load), opens a file with
;; one type error, and checks through eglot: the diagnostic arrives, an
;; edit clears it, go to definition lands on the declaration, rename
;; changes every mention, formatting lays the file out as `writ fmt' does,
;; and shutdown then exit end the server with status 0 (eglot 1.9 sends
;; both with "params": null).  Prints one line per check; exit status 0
;; when all pass, 1 when one fails, 3 when the watchdog fires.

;;; Code:

(require 'package)
;; `-Q' skips the site start-up that tells package.el where Debian puts
;; its elpa-* packages, and batch mode does not activate packages at all.
(dolist (dir '("/usr/share/emacs/site-lisp/elpa" "/usr/share/emacs/site-lisp/elpa-src"))
  (when (file-directory-p dir) (add-to-list 'package-directory-list dir)))
(package-activate-all)
(require 'cl-lib)
(require 'flymake)
(require 'xref)
(load (expand-file-name "writ.el" (file-name-directory load-file-name)) nil t)

(defvar writ-test-failures 0)

(defun writ-test-say (format-string &rest args)
  (princ (concat (apply #'format format-string args) "\n")))

(defmacro writ-test-check (name form)
  "Report NAME as passed when FORM is non-nil."
  `(condition-case err
       (if ,form
           (writ-test-say "ok   %s" ,name)
         (cl-incf writ-test-failures)
         (writ-test-say "FAIL %s" ,name))
     (error (cl-incf writ-test-failures) (writ-test-say "FAIL %s: %S" ,name err))))

(defun writ-test-wait (predicate &optional seconds)
  "Run the event loop until PREDICATE holds or SECONDS (10) pass."
  (let ((deadline (+ (float-time) (or seconds 10))) value)
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(run-with-timer 120 nil (lambda () (writ-test-say "FAIL watchdog: 120 s passed") (kill-emacs 3)))

(setq writ-program (or (getenv "WRIT_BIN") "writ")
      eglot-sync-connect t
      eglot-connect-timeout 30
      eglot-autoreconnect nil
      make-backup-files nil
      create-lockfiles nil)
(when (boundp 'eglot-confirm-server-edits) (setq eglot-confirm-server-edits nil))
(advice-add 'y-or-n-p :override (lambda (&rest _) t))

(defvar writ-test-published 0 "How many publishDiagnostics arrived.")
(cl-defmethod eglot-handle-notification :after
  (_server (_method (eql textDocument/publishDiagnostics)) &rest _)
  (cl-incf writ-test-published))

(defun writ-test-errors ()
  (cl-remove-if-not (lambda (d) (eq (flymake-diagnostic-type d) 'eglot-error)) (flymake-diagnostics)))

(defun writ-test-count (word)
  (how-many (concat "\\_<" word "\\_>") (point-min) (point-max)))

(let* ((dir (file-name-as-directory (make-temp-file "writ-eglot" t)))
       (file (expand-file-name "main.writ" dir))
       server)
  (with-temp-file file
    (insert "fn helper() -> u64 {\n    true\n}\n\nfn total() -> u64 {\n    helper() + helper()\n}\n"))
  (condition-case err
      (with-current-buffer (find-file-noselect file)
        (writ-test-check "writ-mode is on" (eq major-mode 'writ-mode))
        (setq server (apply #'eglot--connect (eglot--guess-contact)))
        (writ-test-check "connected" (and server (jsonrpc-running-p server)))
        (writ-test-check "diagnostics published" (writ-test-wait (lambda () (> writ-test-published 0))))
        (flymake-start)
        (writ-test-check "the type error is shown" (writ-test-wait #'writ-test-errors 5))
        (goto-char (point-min))
        (search-forward "true")
        (replace-match "1")
        (let ((seen writ-test-published))
          (eglot--signal-textDocument/didChange)
          (writ-test-check "diagnostics after the edit"
                           (writ-test-wait (lambda () (> writ-test-published seen))))
          (flymake-start)
          (writ-test-check "the error is gone" (writ-test-wait (lambda () (null (writ-test-errors))) 5)))
        (goto-char (point-min))
        (search-forward "    help")
        (call-interactively #'xref-find-definitions)
        (writ-test-check "go to definition" (= (line-number-at-pos) 1))
        (goto-char (point-min))
        (search-forward "fn help")
        (eglot-rename "assist")
        (writ-test-check "rename" (and (= 3 (writ-test-count "assist")) (= 0 (writ-test-count "helper"))))
        (goto-char (point-max))
        (insert "fn  g( )->u64{1}\n")
        (eglot-format-buffer)
        (writ-test-check "format" (save-excursion
                                    (goto-char (point-min))
                                    (search-forward "fn g() -> u64 {\n    1\n}" nil t)))
        (let ((process (jsonrpc--process server)))
          (setf (eglot--shutdown-requested server) t)
          (jsonrpc-request server :shutdown nil :timeout 5)
          (jsonrpc-notify server :exit nil)
          (writ-test-check "the server exits" (writ-test-wait (lambda () (not (process-live-p process))) 5))
          (writ-test-check "with status 0" (eql 0 (process-exit-status process)))))
    (error (cl-incf writ-test-failures) (writ-test-say "FAIL %S" err)))
  (when (and server (> writ-test-failures 0) (buffer-live-p (jsonrpc-events-buffer server)))
    (princ (with-current-buffer (jsonrpc-events-buffer server) (buffer-string)) #'external-debugging-output))
  (when (and server (jsonrpc-running-p server)) (ignore-errors (eglot-shutdown server)))
  (delete-directory dir t)
  (kill-emacs (if (zerop writ-test-failures) 0 1)))

;;; test-eglot.el ends here
