/** A product as the catalog service returns it. */
export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  stock: number;
}

/** One event of the catalog's stock stream. */
export interface StockUpdate {
  sku: string;
  stock: number;
  update: number;
}
