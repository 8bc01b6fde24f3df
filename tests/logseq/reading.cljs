(ns reading
  "Run Logseq's graph parser (0.10.15) on a graph and print how it reads vaultsync's reading states: each
  page's `read` value by type, and the reading-queue page's query block with its table settings."
  (:require [logseq.graph-parser.cli :as gp-cli]
            [datascript.core :as d]
            [clojure.string :as string]))
(let [[dir] *command-line-args*
      {:keys [conn]} (gp-cli/parse-graph dir {:verbose false})
      db @conn
      reads (map second (d/q '[:find ?n ?v :where [?p :block/original-name ?n] [?p :block/properties ?props]
                                [(get ?props :read) ?v]] db))
      queue (d/q '[:find ?c ?props :where [?p :block/name "arxiv reading queue"] [?b :block/page ?p]
                   [?b :block/content ?c] [(clojure.string/includes? ?c "{{query")] [?b :block/properties ?props]] db)
      [[content props]] (seq queue)]
  (println {:read-true (count (filter true? reads)) :read-false (count (filter false? reads))
            :read-other (count (remove boolean? reads)) :queries (count queue)
            :query-macro (some? (re-find #"\{\{query \(page-property :read false\)\}\}" (or content "")))
            :query-table (str (get props :query-table)) :query-sort-by (str (get props :query-sort-by))
            :query-sort-desc (str (get props :query-sort-desc))}))
