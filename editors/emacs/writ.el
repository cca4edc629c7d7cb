;;; writ.el --- Writ contracts in Emacs, with eglot  -*- lexical-binding: t -*-

;; A small major mode for `.writ' files (comments, strings, indentation by
;; braces, keywords) that starts `writ lsp' through eglot.  Everything
;; else -- diagnostics, definitions, references, rename, formatting,
;; completion -- comes from the language server.
;;
;; Setup: put `writ' on PATH (or set `writ-program'), then
;;   (load "/path/to/editors/emacs/writ.el")
;;   (add-hook 'writ-mode-hook #'eglot-ensure)
;; Works with Emacs 29+ (eglot built in) and Emacs 28 with the eglot
;; package (Debian: elpa-eglot).

;;; Code:

(require 'eglot)

(defgroup writ nil
  "Writ contracts."
  :group 'languages)

(defcustom writ-program "writ"
  "The `writ' executable that serves the language (`writ lsp')."
  :type 'string)

(defcustom writ-indent-offset 4
  "Columns per nesting level (as `writ fmt' lays code out)."
  :type 'integer)

(defconst writ-keywords
  '("contract" "interface" "storage" "init" "fn" "pub" "view" "requires" "let" "mut" "if" "else"
    "match" "for" "in" "while" "break" "continue" "return" "emit" "fail" "struct" "enum"
    "event" "error" "roles" "use" "const" "test" "property" "invariant" "spec" "self" "true"
    "false" "as" "deploy" "from")
  "Words shown as keywords (the language server's semantic tokens refine this).")

(defvar writ-mode-syntax-table
  (let ((table (make-syntax-table)))
    (modify-syntax-entry ?/ ". 124b" table)
    (modify-syntax-entry ?* ". 23" table)
    (modify-syntax-entry ?\n "> b" table)
    (modify-syntax-entry ?_ "_" table)
    (modify-syntax-entry ?\" "\"" table)
    table)
  "Syntax of `//' and `/* */' comments and strings.")

(defun writ-indent-line ()
  "Indent the current line by its brace depth."
  (let* ((depth (save-excursion (car (syntax-ppss (line-beginning-position)))))
         (closing (save-excursion (back-to-indentation) (memq (char-after) '(?\} ?\) ?\]))))
         (column (* writ-indent-offset (max 0 (- depth (if closing 1 0))))))
    (if (<= (current-column) (current-indentation))
        (indent-line-to column)
      (save-excursion (indent-line-to column)))))

;;;###autoload
(define-derived-mode writ-mode prog-mode "Writ"
  "Major mode for Writ contracts; the language server does the rest."
  (setq-local comment-start "// ")
  (setq-local comment-end "")
  (setq-local indent-line-function #'writ-indent-line)
  (setq-local font-lock-defaults
              `(((,(regexp-opt writ-keywords 'symbols) . font-lock-keyword-face)))))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.writ\\'" . writ-mode))

;; A function, so a later change to `writ-program' is seen.
(add-to-list 'eglot-server-programs
             `(writ-mode . ,(lambda (&optional _interactive) (list writ-program "lsp"))))

(provide 'writ)
;;; writ.el ends here
